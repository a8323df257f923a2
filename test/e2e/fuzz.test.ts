// A short fuzz campaign in CI (npm run fuzz runs the long one): every parser a peer can reach gets a
// few hundred cases; 0 crashes, 0 5xx, 0 hangs, and a call still works afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./harness.js";
import { callStillWorks, TARGETS } from "../fuzz/campaign.js";

const RUNS = 200;
let stack: Stack;
beforeAll(async () => { stack = await startStack({ tenant: "demo" }); });
afterAll(async () => { await stack?.stop(); });

describe("fuzzing every parser a peer reaches", () => {
  for (const [name, target] of Object.entries(TARGETS)) {
    it(`${name}: ${RUNS} cases without a 5xx, a hang or a dead server`, async () => {
      const r = await target(stack, RUNS, 12);
      expect(r.cases).toBeGreaterThanOrEqual(RUNS);
      expect({ fivexx: r.fivexx, hangs: r.hangs, other: r.other, examples: r.examples }).toEqual({ fivexx: 0, hangs: 0, other: 0, examples: [] });
    }, 120_000);
  }

  it("a call still works afterwards", async () => {
    expect(await callStillWorks(stack)).toBeNull();
  }, 60_000);
});
