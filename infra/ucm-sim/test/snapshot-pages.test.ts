// A snapshot beyond one frame (1 MiB): a 12,000-line cluster's snapshot comes as several response
// frames of one id, each under the limit, all before any event, together the whole state.
import { afterEach, describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES } from "../../../shared/switch-link.js";
import { startSimulator, type Simulator } from "../src/index.js";
import { LinkClient } from "./helpers.js";

const LINES = 12_000;
const dns = Array.from({ length: LINES }, (_, i) => String(200000 + i));
let s: Simulator | undefined;
let c: LinkClient | undefined;
afterEach(async () => { c?.close(); await s?.stop(); s = c = undefined; });

describe("a paged snapshot", () => {
  it("splits a snapshot beyond 1 MiB into pages (more: true but the last) that join to every address and call", async () => {
    s = await startSimulator({ config: { clusters: [{ name: "big", numberPrefixes: ["2"], users: [{ user: "tserver", password: "pw" }], devices: dns.map((dn) => ({ dn, kind: "phone" })) }] } });
    const call = s.cluster("big").originate(dns[0]!, dns[1]!, "cti");
    c = await LinkClient.connect(s.clusters.big!.linkPort);
    c.send({ type: "hello", protocol: 1, user: "tserver", password: "pw", application: "test", link: "link-1" });
    await c.waitFor((f) => f.type === "welcome");
    c.send({ type: "request", id: 1, op: "snapshot" });
    await c.waitFor((f) => f.type === "response" && f.id === 1 && !f.more, 10_000);
    s.cluster("big").answer(call.id, dns[1]!);
    await c.waitFor((f) => f.type === "events", 5000);

    const frames = c.frames.filter((f) => f.type !== "welcome");
    const pages = frames.filter((f) => f.type === "response");
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((p) => p.id === 1 && p.ok === true)).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.more === true)).toBe(true);
    expect(pages.at(-1).more).toBeUndefined();
    for (const p of pages) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    // every page before any event: the snapshot stays gapless
    expect(frames.findIndex((f) => f.type === "events")).toBe(pages.length);
    const addresses = pages.flatMap((p) => p.result.addresses);
    expect(addresses.map((a: { address: string }) => a.address)).toEqual(dns);
    expect(pages.flatMap((p) => p.result.calls)).toEqual([
      { callId: call.id, callingAddress: dns[0], calledAddress: dns[1], connections: [
        { address: dns[0], state: "ESTABLISHED", terminalState: "TALKING" },
        { address: dns[1], state: "ALERTING", terminalState: "RINGING" },
      ] },
    ]);
  });
});
