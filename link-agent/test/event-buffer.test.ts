// The outbox and the snapshot splitter: sequence numbers, acks, and sizes at a full cluster's scale.
import { describe, expect, it } from "vitest";
import { EventBuffer } from "../src/event-buffer.js";
import { splitSnapshot } from "../src/snapshot-chunks.js";
import type { SwitchEvent } from "../../shared/uplink.js";

const item = (n: number) => ({ json: `{"n":${n}}`, bytes: 8 });

describe("event buffer", () => {
  it("numbers from 1, finds by sequence number, and forgets what is acknowledged", () => {
    const b = new EventBuffer(10);
    expect(b.lastSeq).toBe(0);
    for (let n = 1; n <= 12; n++) expect(b.push(item(n))).toBe(n);
    expect([b.size, b.full, b.ackedUpTo]).toEqual([12, true, 0]);
    b.ack(5);
    b.ack(3); // an older ack changes nothing
    expect([b.size, b.ackedUpTo, b.at(5), b.at(6)?.json, b.at(13)]).toEqual([7, 5, undefined, '{"n":6}', undefined]);
    b.ack(99); // beyond what exists: everything, no further
    expect([b.size, b.lastSeq, b.ackedUpTo]).toEqual([0, 12, 12]);
    expect(b.push(item(13))).toBe(13);
  });

  it("renumbers from 1 for a new stream", () => {
    const b = new EventBuffer(10);
    for (let n = 1; n <= 5; n++) b.push(item(n));
    b.ack(3);
    b.renumber();
    expect([b.at(1)?.json, b.at(2)?.json, b.lastSeq, b.ackedUpTo]).toEqual(['{"n":4}', '{"n":5}', 2, 0]);
  });

  // how fast is the bench's business (a timed assertion fails on a loaded machine): this checks the bookkeeping under a large backlog
  it("keeps the right window with a large backlog and an ack every ten events", () => {
    const b = new EventBuffer(100_000);
    for (let n = 1; n <= 200_000; n++) {
      b.push(item(n));
      if (n % 10 === 0) b.ack(n - 90_000); // ~90,000 held, an ack every ten events
    }
    expect(b.at(b.lastSeq)?.json).toBe('{"n":200000}');
    expect(b.size).toBe(90_000);
    expect(b.at(b.lastSeq - 90_000)).toBeUndefined();
  });
});

describe("snapshot chunks", () => {
  it("splits a cluster-sized snapshot by size, keeping each DN whole and the order", () => {
    const dns = Array.from({ length: 40_000 }, (_, i) => ({ dn: String(100000 + i), kind: "phone" as const, inService: true, calls: i % 10 ? [] : [{ callId: `c${i}`, phase: "established" as const, otherDN: "2001", role: 1, callType: 3 }] }));
    const snapshot: Extract<SwitchEvent, { kind: "snapshot" }> = { kind: "snapshot", time: "t", dns };
    const chunks = splitSnapshot(snapshot, 64 * 1024);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(64 * 1024 + 200);
    expect(chunks.flatMap((c) => c.dns)).toEqual(dns);
    expect(splitSnapshot({ kind: "snapshot", time: "t", dns: [] })).toEqual([{ kind: "snapshot", time: "t", dns: [] }]);
  });
});
