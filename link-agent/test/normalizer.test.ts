// JTAPI events -> per-DN facts, with the event sequences the simulated cluster really produces.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Network } from "../../infra/ucm-sim/src/model/network.js";
import { parseConfig } from "../../infra/ucm-sim/src/config.js";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Normalizer } from "../src/normalizer.js";

function rig(cluster = "site-a") {
  const network = new Network(parseConfig(JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8"))));
  const sw = network.cluster(cluster)!;
  const normalizer = new Normalizer();
  const out: SwitchEvent[] = [];
  const all = new Set(sw.devices.keys());
  const snapshot = normalizer.snapshot("link-1", sw.snapshot(all), "t");
  sw.onBatch((batch) => { for (const e of batch) normalizer.apply("link-1", e, (ev) => out.push(ev)); });
  const facts = () => out.map((e) => {
    const { time: _t, ...rest } = e as SwitchEvent & { callId?: string };
    if ("callId" in rest) delete (rest as { callId?: string }).callId;
    return rest;
  });
  return { network, sw, normalizer, out, facts, snapshot };
}

describe("normalizer", () => {
  it("turns a basic call into dialing, ringing, established on both, held, retrieved, released on both", () => {
    const { sw, facts } = rig();
    const call = sw.originate("1001", "1002", "cti");
    sw.answer(call.id, "1002");
    sw.hold(call.id, "1001");
    sw.unhold(call.id, "1001");
    sw.disconnect(call.id, "1001");
    expect(facts()).toEqual([
      { kind: "dialing", dn: "1001", otherDN: "1002", callType: 1 },
      { kind: "ringing", dn: "1002", otherDN: "1001", callType: 1 },
      { kind: "established", dn: "1002", otherDN: "1001", callType: 1 },
      { kind: "established", dn: "1001", otherDN: "1002", callType: 1 },
      { kind: "held", dn: "1001" },
      { kind: "retrieved", dn: "1001" },
      { kind: "released", dn: "1001", cause: "normal" },
      { kind: "released", dn: "1002", cause: "normal" },
    ]);
  });

  it("reports busy to the caller and releases it when it hangs up", () => {
    const { sw, facts, out } = rig();
    sw.originate("1003", "1002", "cti");
    out.length = 0;
    const call = sw.originate("1001", "1002", "cti");
    sw.disconnect(call.id, "1001");
    expect(facts()).toEqual([
      { kind: "dialing", dn: "1001", otherDN: "1002", callType: 1 },
      { kind: "busy", dn: "1001", otherDN: "1002" },
      { kind: "released", dn: "1001", cause: "normal" },
    ]);
  });

  it("types a trunk call Outbound on the caller's site and Inbound on the far site", () => {
    const a = rig("site-a");
    const call = a.sw.originate("1001", "2001", "cti");
    const far = a.network.cluster("site-b")!.callsOf("2001")[0]!;
    a.network.cluster("site-b")!.answer(far.id, "2001");
    expect(a.facts()).toEqual([
      { kind: "dialing", dn: "1001", otherDN: "2001", callType: 3 },
      { kind: "established", dn: "1001", otherDN: "2001", callType: 3 },
    ]);
    expect(a.out.every((e) => (e as { callId?: string }).callId === call.id)).toBe(true);
  });

  it("says a device went out of service once, and back in service once both address and terminal are back", () => {
    const { sw, facts } = rig();
    sw.setInService("1004", false);
    sw.setInService("1004", true);
    expect(facts()).toEqual([{ kind: "service", dn: "1004", inService: false, oosCause: 1005 }, { kind: "service", dn: "1004", inService: true }]);
  });

  it("a CallManager node failure: out of service with its cause, and the call goes on (no release)", () => {
    const { sw, facts, out } = rig();
    const call = sw.originate("1001", "1002", "cti");
    sw.answer(call.id, "1002");
    out.length = 0;
    sw.setInService("1002", false, "node-failure");
    sw.setInService("1002", true);
    sw.disconnect(call.id, "1001");
    expect(facts()).toEqual([
      { kind: "service", dn: "1002", inService: false, oosCause: 1001 },
      { kind: "service", dn: "1002", inService: true },
      { kind: "released", dn: "1001", cause: "normal" },
      { kind: "released", dn: "1002", cause: "normal" },
    ]);
  });

  it("snapshots calls in their phase, with roles and call types", () => {
    const r = rig();
    const c1 = r.sw.originate("1001", "1002", "cti");
    r.sw.answer(c1.id, "1002");
    r.sw.hold(c1.id, "1002");
    r.sw.originate("1003", "1004", "cti");
    const snap = new Normalizer().snapshot("link-1", r.sw.snapshot(new Set(r.sw.devices.keys())), "t");
    expect(snap.kind).toBe("snapshot");
    const calls = Object.fromEntries((snap as Extract<SwitchEvent, { kind: "snapshot" }>).dns.filter((d) => d.calls.length).map((d) => [d.dn, d.calls.map(({ callId: _c, ...rest }) => rest)]));
    expect(calls).toEqual({
      "1001": [{ phase: "established", otherDN: "1002", role: 1, callType: 1 }],
      "1002": [{ phase: "held", otherDN: "1001", role: 2, callType: 1 }],
      "1003": [{ phase: "dialing", otherDN: "1004", role: 1, callType: 1 }],
      "1004": [{ phase: "ringing", otherDN: "1003", role: 2, callType: 1 }],
    });
  });

  it("gives each DN to the first link that lists it and ignores the others' events for it", () => {
    const { sw, normalizer } = rig();
    const snap2 = normalizer.snapshot("link-2", sw.snapshot(new Set(["1001", "1002"])), "t") as Extract<SwitchEvent, { kind: "snapshot" }>;
    expect(snap2.dns).toEqual([]);
    const seen: SwitchEvent[] = [];
    normalizer.apply("link-2", { id: "CiscoAddrOutOfServiceEv", address: "1001", cause: 100, time: "t" }, (e) => seen.push(e));
    expect(seen).toEqual([]);
    expect(normalizer.linkOf("1001")).toBe("link-1");
  });
});

describe("normalizer: transfers", () => {
  it("two-step: consult dialing, then released (transferred) at the controller and party changes for the others", () => {
    const { sw, facts, out } = rig();
    const call = sw.originate("1001", "1002", "cti");
    sw.answer(call.id, "1002");
    out.length = 0;
    const consult = sw.consult(call.id, "1002", "1003");
    sw.answer(consult.id, "1003");
    sw.transfer(call.id, consult.id, "1002");
    expect(facts()).toEqual([
      { kind: "held", dn: "1002" },
      { kind: "dialing", dn: "1002", otherDN: "1003", callType: 1 },
      { kind: "ringing", dn: "1003", otherDN: "1002", callType: 1 },
      { kind: "established", dn: "1003", otherDN: "1002", callType: 1 },
      { kind: "established", dn: "1002", otherDN: "1003", callType: 1 },
      { kind: "released", dn: "1002", cause: "transferred" },
      { kind: "partyChanged", dn: "1003", previousCallId: consult.id, otherDN: "1001", thirdPartyDN: "1002" },
      { kind: "released", dn: "1002", cause: "transferred" },
      { kind: "partyChanged", dn: "1001", otherDN: "1003", thirdPartyDN: "1002" },
    ]);
    const changed = out.filter((e) => e.kind === "partyChanged") as Array<{ callId: string }>;
    expect(changed.map((e) => e.callId)).toEqual([call.id, call.id]);
  });

  it("single-step: the controller is released (transferred), the destination rings, the remaining party changes", () => {
    const { sw, facts, out, normalizer } = rig();
    const call = sw.originate("1001", "1002", "cti");
    sw.answer(call.id, "1002");
    out.length = 0;
    // the simulator, like Cisco, brackets nothing: the agent's own accepted request is what marks the transfer
    normalizer.switchAccepted("link-1", { op: "singleStepTransfer", callId: call.id, address: "1002", destination: "1004" });
    sw.singleStepTransfer(call.id, "1002", "1004");
    expect(facts()).toEqual([
      { kind: "released", dn: "1002", cause: "transferred" },
      { kind: "ringing", dn: "1004", otherDN: "1001", callType: 1 },
      { kind: "partyChanged", dn: "1001", otherDN: "1004", thirdPartyDN: "1002" },
    ]);
  });
});
