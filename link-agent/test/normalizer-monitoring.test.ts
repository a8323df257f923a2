// Silent monitoring and extend and connect, JTAPI events -> per-DN facts (jtapi-fidelity.md B.1 (2), B.2 (2)):
// a golden trace transcribed from Cisco's message sequence charts, then the simulator's own sequences.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/ucm-sim/src/config.js";
import { Network } from "../../infra/ucm-sim/src/model/network.js";
import type { JtapiEvent, Snapshot, SwitchOp } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Normalizer } from "../src/normalizer.js";
import { T } from "./helpers/jtapi.js";

interface Golden {
  source: string;
  served: { phones: string[]; ctiPorts: string[] };
  steps: Array<{ step: string; source: string; events: JtapiEvent[]; expected: object[]; startMonitor?: { monitorCallId: string; monitor: string; target: string; monitoredCallId: string }; accepted?: SwitchOp }>;
}

const withoutTime = (out: SwitchEvent[]) => out.map(({ time: _t, ...rest }) => rest);

describe("golden trace: silent monitoring as in JDG MSC p.1593, p.1594, p.1276", () => {
  const golden: Golden = JSON.parse(readFileSync(new URL("./golden/monitoring-jdg-p1593.json", import.meta.url), "utf8"));
  const normalizer = new Normalizer();
  const addresses: Snapshot["addresses"] = [
    ...golden.served.phones.map((dn) => ({ address: dn, terminal: `SEP0000000A${dn}`, kind: "phone" as const, inService: true, terminalInService: true })),
    ...golden.served.ctiPorts.map((dn) => ({ address: dn, terminal: `CTIP${dn}`, kind: "ctiPort" as const, inService: true, terminalInService: true })),
  ];
  normalizer.snapshot("link-1", { addresses, calls: [] }, T);
  for (const step of golden.steps) {
    it(`${step.step} (${step.source})`, () => {
      const out: SwitchEvent[] = [];
      const m = step.startMonitor;
      if (m) normalizer.switchAccepted("link-1", { op: "startMonitor", callId: m.monitoredCallId, address: m.target, monitor: m.monitor, monitorType: 1, tone: 3 }, { callId: m.monitorCallId });
      if (step.accepted) normalizer.switchAccepted("link-1", step.accepted, {});
      for (const e of step.events) normalizer.apply("link-1", e, (f) => out.push(f));
      expect(withoutTime(out)).toEqual(step.expected);
    });
  }
});

/** A normalizer fed by a simulated cluster of the demo plan, serving all its devices on link-1. */
function simRig(cluster = "site-a") {
  const network = new Network(parseConfig(JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8"))));
  const sw = network.cluster(cluster)!;
  const normalizer = new Normalizer();
  const out: SwitchEvent[] = [];
  normalizer.snapshot("link-1", sw.snapshot(new Set(sw.devices.keys()), "me"), T);
  sw.onBatch((batch) => { for (const e of batch) normalizer.apply("link-1", e, (f) => out.push(f)); });
  sw.remote.onChange((change) => normalizer.apply("link-1", {
    id: "CiscoProvTerminalRemoteDestinationChangedEv", cause: 100, time: T, address: change.dn, terminal: change.terminal,
    remoteDestinations: change.remoteDestinations, myAppLastToSetActiveRD: change.lastSetBy === "me",
  }, (f) => out.push(f)));
  return { network, sw, normalizer, out, facts: () => withoutTime(out) };
}

describe("normalizer: a bridge that delivers the monitor call's events in another order", () => {
  it("monitorStarted comes once, from the target leg connected or from the target info, whichever is first; no dialing either way", () => {
    const golden: Golden = JSON.parse(readFileSync(new URL("./golden/monitoring-jdg-p1593.json", import.meta.url), "utf8"));
    const [setup, monitor] = [golden.steps[0]!, golden.steps[1]!];
    // the terminal observer's events (RTP, target info) ahead of the call observer's
    const moved = monitor.events.filter((e) => e.id === "CiscoRTPInputStartedEv" || e.id === "CiscoTermConnMonitorTargetInfoEv");
    const rest = monitor.events.filter((e) => !moved.includes(e));
    // first, in the middle, and never (no terminal observer on the port)
    for (const order of [[...moved, ...rest], [...rest.slice(0, 9), ...moved, ...rest.slice(9)], rest]) {
      const normalizer = new Normalizer();
      normalizer.snapshot("link-1", { addresses: [...["1001", "1002"].map((dn) => ({ address: dn, terminal: `SEP0000000A${dn}`, kind: "phone" as const, inService: true, terminalInService: true })), { address: "1901", terminal: "CTIP1901", kind: "ctiPort", inService: true, terminalInService: true }], calls: [] }, T);
      const out: SwitchEvent[] = [];
      for (const e of setup.events) normalizer.apply("link-1", e, () => undefined);
      normalizer.expectMonitor("link-1", "gc2", "1901", "1002", "gc1");
      for (const e of order) normalizer.apply("link-1", e, (f) => out.push(f));
      expect(withoutTime(out)).toEqual(monitor.expected);
    }
  });
});

describe("normalizer on the simulator's monitoring sequences", () => {
  it("the CTI port gets monitorStarted (no dialing), the agent an observer and never a phase for its MONITORING_TARGET leg", () => {
    const network = new Network(parseConfig(JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8"))));
    const sw = network.cluster("site-a")!;
    const normalizer = new Normalizer();
    const out: SwitchEvent[] = [];
    normalizer.snapshot("link-1", sw.snapshot(new Set(sw.devices.keys())), T);
    // the switch answers before the events it caused reach the normalizer (the link's ordering rule): hold them back
    let held: JtapiEvent[][] | null = null;
    sw.onBatch((batch) => (held ? held.push(batch) : batch.forEach((e) => normalizer.apply("link-1", e, (f) => out.push(f)))));
    const gc1 = sw.originate("1001", "1002", "cti");
    sw.answer(gc1.id, "1002");
    out.length = 0;
    held = [];
    const gc2 = sw.startMonitor(gc1.id, "1002", "1901").id;
    normalizer.expectMonitor("link-1", gc2, "1901", "1002", gc1.id);
    const batches = held;
    held = null;
    for (const b of batches) for (const e of b) normalizer.apply("link-1", e, (f) => out.push(f));
    expect(withoutTime(out)).toEqual([
      { kind: "monitorStarted", dn: "1901", callId: gc2, otherDN: "1002", monitoredCallId: gc1.id },
      { kind: "observer", dn: "1002", callId: gc1.id, otherDN: "1901", addressType: "internal", change: "added" },
    ]);
    // a resync: the port's monitor call is an observer's (role 10), the agent has its one call
    const snap = normalizer.snapshot("link-1", sw.snapshot(new Set(sw.devices.keys())), T);
    expect(snap.dns.find((d) => d.dn === "1901")!.calls).toEqual([{ callId: gc2, phase: "established", otherDN: "1002", role: 10, callType: 1 }]);
    expect(snap.dns.find((d) => d.dn === "1002")!.calls.map((c) => c.callId)).toEqual([gc1.id]);
    // the agent hangs up: its call, then the monitor call, end
    out.length = 0;
    sw.disconnect(gc1.id, "1002");
    expect(withoutTime(out)).toEqual([
      { kind: "released", dn: "1002", callId: gc1.id, cause: "normal" },
      { kind: "released", dn: "1001", callId: gc1.id, cause: "normal" },
      { kind: "released", dn: "1901", callId: gc2, cause: "normal" },
    ]);
  });

  it("a monitor call sent over the trunk: the agent's observer changes to the EXTERNAL far number when it answers, and ends with it", () => {
    const network = new Network(parseConfig(JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8"))));
    const a = network.cluster("site-a")!;
    const b = network.cluster("site-b")!;
    const na = new Normalizer();
    const nb = new Normalizer();
    const outA: SwitchEvent[] = [];
    const outB: SwitchEvent[] = [];
    na.snapshot("link-1", a.snapshot(new Set(a.devices.keys())), T);
    nb.snapshot("link-1", b.snapshot(new Set(b.devices.keys())), T);
    a.onBatch((batch) => batch.forEach((e) => na.apply("link-1", e, (f) => outA.push(f))));
    b.onBatch((batch) => batch.forEach((e) => nb.apply("link-1", e, (f) => outB.push(f))));
    const gc1 = a.originate("1001", "1002", "cti");
    a.answer(gc1.id, "1002");
    const gc2 = a.startMonitor(gc1.id, "1002", "1901").id;
    outA.length = 0;
    a.singleStepTransfer(gc2, "1901", "2003");
    const c2 = b.callsOf("2003")[0]!.id;
    b.answer(c2, "2003");
    expect(withoutTime(outB)).toEqual([
      { kind: "ringing", dn: "2003", callId: c2, otherDN: "1002", callType: 2 },
      { kind: "established", dn: "2003", callId: c2, otherDN: "1002", callType: 2 },
    ]);
    expect(withoutTime(outA).filter((f) => f.kind === "observer")).toEqual([
      // 1901 was the observer until then
      { kind: "observer", dn: "1002", callId: gc1.id, otherDN: "2003", addressType: "external", change: "changed" },
    ]);
    outA.length = 0;
    outB.length = 0;
    b.disconnect(c2, "2003");
    expect(withoutTime(outA)).toEqual([{ kind: "observer", dn: "1002", callId: gc1.id, otherDN: "2003", addressType: "external", change: "ended" }]);
    expect(withoutTime(outB)).toEqual([{ kind: "released", dn: "2003", callId: c2, cause: "normal" }]);
  });
});

describe("normalizer: remote terminals (jtapi-fidelity B.2 (2))", () => {
  it("reports remoteDestination facts from the provider event, and the snapshot's remote state", () => {
    const { sw, normalizer, facts } = simRig();
    sw.remote.set("me", "1801", "0611000001", "mobile-1801", true);
    sw.remote.set("someone-else", "1801", "0699000009", undefined, true);
    sw.remote.set("someone-else", "1801", "0699000009", undefined, false);
    expect(facts()).toEqual([
      { kind: "remoteDestination", dn: "1801", active: { number: "0611000001", name: "mobile-1801" }, mine: true },
      { kind: "remoteDestination", dn: "1801", active: { number: "0699000009", name: "0699000009" }, mine: false },
      { kind: "remoteDestination", dn: "1801", active: null, mine: false },
    ]);
    sw.remote.set("me", "1802", "0611000002", undefined, true);
    const snap = normalizer.snapshot("link-1", sw.snapshot(new Set(["1801", "1802", "1001"]), "me"), T);
    expect(snap.dns.map((d) => [d.dn, d.remote])).toEqual([
      ["1001", undefined],
      ["1801", { active: null, mine: false, all: [{ number: "0611000001", name: "mobile-1801" }, { number: "0699000009", name: "0699000009" }] }],
      ["1802", { active: { number: "0611000002", name: "mobile-1802" }, mine: true, all: [{ number: "0611000002", name: "mobile-1802" }] }],
    ]);
  });

  it("a CTI call from a remote terminal is dialing from its start (the mobile rings first), then goes on as usual", () => {
    const { sw, facts } = simRig();
    sw.remote.set("me", "1801", "0611000001", undefined, true);
    const call = sw.originate("1801", "1002", "cti");
    expect(facts().slice(1)).toEqual([{ kind: "dialing", dn: "1801", callId: call.id, otherDN: "1002", callType: 1 }]);
    sw.remote.mobileAnswer("0611000001");
    sw.answer(call.id, "1002");
    expect(facts().slice(2)).toEqual([
      { kind: "ringing", dn: "1002", callId: call.id, otherDN: "1801", callType: 1 },
      { kind: "established", dn: "1002", callId: call.id, otherDN: "1801", callType: 1 },
      { kind: "established", dn: "1801", callId: call.id, otherDN: "1002", callType: 1 },
    ]);
  });

  it("an incoming call rings the remote terminal and is established when the mobile answers", () => {
    const { sw, facts } = simRig();
    sw.remote.set("me", "1801", "0611000001", undefined, true);
    const call = sw.originate("1001", "1801", "cti");
    sw.remote.mobileAnswer("0611000001");
    sw.remote.mobileHangup("0611000001");
    expect(facts().slice(1)).toEqual([
      { kind: "dialing", dn: "1001", callId: call.id, otherDN: "1801", callType: 1 },
      { kind: "ringing", dn: "1801", callId: call.id, otherDN: "1001", callType: 1 },
      { kind: "established", dn: "1801", callId: call.id, otherDN: "1001", callType: 1 },
      { kind: "established", dn: "1001", callId: call.id, otherDN: "1801", callType: 1 },
      { kind: "released", dn: "1801", callId: call.id, cause: "normal" },
      { kind: "released", dn: "1001", callId: call.id, cause: "normal" },
    ]);
  });
});

describe("normalizer: out-of-service cause", () => {
  it("carries CiscoOutOfServiceEv's cause on the service fact that goes out of service", () => {
    const normalizer = new Normalizer();
    normalizer.snapshot("link-1", { addresses: [{ address: "1801", terminal: "RT1801", kind: "remoteTerminal", inService: true, terminalInService: true }], calls: [] }, T);
    const out: SwitchEvent[] = [];
    const feed = (e: Partial<JtapiEvent> & { id: string }) => normalizer.apply("link-1", { cause: 100, time: T, ...e }, (f) => out.push(f));
    feed({ id: "CiscoTermOutOfServiceEv", terminal: "RT1801", address: "1801", oosCause: 1007 });
    feed({ id: "CiscoAddrOutOfServiceEv", address: "1801", oosCause: 1007 });
    feed({ id: "CiscoTermInServiceEv", terminal: "RT1801", address: "1801" });
    feed({ id: "CiscoAddrInServiceEv", address: "1801" });
    expect(withoutTime(out)).toEqual([
      { kind: "service", dn: "1801", inService: false, oosCause: 1007 },
      { kind: "service", dn: "1801", inService: true },
    ]);
  });
});
