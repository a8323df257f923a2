// Golden traces (test/golden/*.json, transcribed from Cisco's guides) replayed through the normalizer:
// each step's events give exactly the step's facts. The agent's own requests, those of a client and those
// the control plane sends of its own (startMonitor), are told to the normalizer as the CommandRunner tells
// it (the accepted switch op with the switch's result); refused ones are not.
import { describe, expect, it } from "vitest";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Normalizer } from "../src/normalizer.js";
import { eventOf, expand, loadGoldens, snapshotOf } from "../../test/golden/golden.js";

describe("golden traces through the normalizer", () => {
  for (const g of loadGoldens()) {
    it(`${g.name} (${g.source.split(",")[0]})`, () => {
      const normalizer = new Normalizer();
      normalizer.snapshot("link-1", snapshotOf(g), "t");
      for (const step of g.steps) {
        const out: SwitchEvent[] = [];
        if (step.failover) {
          normalizer.forgetLink("link-1");
          const snap = normalizer.snapshot("link-1", snapshotOf(g, step.failover.calls), "t");
          // the calls are the same calls, under the same ids
          for (const c of step.failover.calls) {
            for (const conn of c.connections.filter((x) => g.addresses.some((a) => a.address === x.address))) {
              expect(snap.dns.find((d) => d.dn === conn.address)?.calls.map((x) => x.callId), `${step.what}: ${conn.address}`).toContain(c.callId);
            }
          }
        }
        if (step.op && (step.answer?.ok ?? true)) normalizer.switchAccepted("link-1", step.op, step.answer?.ok ? (step.answer.result ?? {}) : {});
        for (const line of expand(g, step.switch ?? [])) normalizer.apply("link-1", eventOf(g, line), (e) => out.push(e));
        const facts = out.map(({ time: _t, ...rest }) => rest);
        expect(facts, step.what).toEqual(step.facts);
      }
    });
  }
});
