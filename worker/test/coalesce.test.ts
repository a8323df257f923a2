// Batches waiting in a Site's inbox are applied together only where they continue one another: a
// resend (overlap) or a gap keeps its own batch, so the Site's sequence checks see it as sent.
import { describe, expect, it } from "vitest";
import { coalesce } from "../src/objects/site.js";

const batch = (from: number, n: number) => ({ t: "events" as const, from, events: Array.from({ length: n }, (_, i) => ({ kind: "service" as const, time: "t", dn: `d${from + i}`, inService: true })) });
const shape = (bs: ReturnType<typeof coalesce>) => bs.map((b) => [b.from, b.events.length]);

describe("coalescing the inbox", () => {
  it("joins consecutive batches, in order", () => {
    const out = coalesce([batch(1, 2), batch(3, 1), batch(4, 3)], 100);
    expect(shape(out)).toEqual([[1, 6]]);
    expect(out[0]!.events.map((e) => (e as { dn: string }).dn)).toEqual(["d1", "d2", "d3", "d4", "d5", "d6"]);
  });

  it("keeps a resend and a gap apart, and caps the size", () => {
    expect(shape(coalesce([batch(1, 2), batch(2, 2), batch(4, 1)], 100))).toEqual([[1, 2], [2, 3]]);
    expect(shape(coalesce([batch(1, 2), batch(5, 1)], 100))).toEqual([[1, 2], [5, 1]]);
    expect(shape(coalesce([batch(1, 3), batch(4, 3), batch(7, 3)], 6))).toEqual([[1, 6], [7, 3]]);
  });

  it("leaves the batches it was given unchanged", () => {
    const first = batch(1, 1);
    coalesce([first, batch(2, 1)], 100);
    expect(first.events).toHaveLength(1);
  });
});
