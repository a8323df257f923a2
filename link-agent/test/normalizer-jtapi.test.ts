// JTAPI events -> per-DN facts, with the exact JTAPI sequences of docs/switch-link.md (tlibrary.md's
// JTAPI section), built by hand: every expected fact is listed, in order, nothing more.
// (normalizer.test.ts drives the same code with the simulator's own sequences.)
import { describe, expect, it } from "vitest";
import type { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Normalizer } from "../src/normalizer.js";
import { backInService, call, outOfService, phones, T, terminalOf } from "./helpers/jtapi.js";

/** A normalizer that serves 1001-1004 (and the route point 1500) on link-1. */
function rig(addresses: Snapshot["addresses"] = [...phones("1001", "1002", "1003", "1004"), { address: "1500", terminal: "CTIRP1500", kind: "routePoint", inService: true, terminalInService: true }]) {
  const normalizer = new Normalizer();
  const out: SwitchEvent[] = [];
  normalizer.snapshot("link-1", { addresses, calls: [] }, T);
  const feed = (events: JtapiEvent[], link = "link-1") => {
    for (const e of events) normalizer.apply(link, e, (ev) => out.push(ev));
  };
  return { normalizer, out, feed };
}

const kindsAndDns = (out: SwitchEvent[]) => out.map((e) => [e.kind, (e as { dn: string }).dn]);

describe("normalizer: calls", () => {
  it("basic call: dialing, ringing, established on both (answerer first), held, retrieved, released on both", () => {
    const { out, feed } = rig();
    const c = call("c1", "1001", "1002", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001")]);
    // the caller's own CallCtlConnEstablishedEv right after dialing is not an answer
    expect(out).toEqual([{ kind: "dialing", time: T, dn: "1001", callId: "c1", otherDN: "1002", callType: 1 }]);
    feed(c.rings("1002"));
    feed(c.answers("1002"));
    feed(c.holds("1001"));
    feed(c.retrieves("1001"));
    feed(c.clears("1001", "1002"));
    expect(out).toEqual([
      { kind: "dialing", time: T, dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "ringing", time: T, dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
      { kind: "established", time: T, dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
      { kind: "established", time: T, dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "held", time: T, dn: "1001", callId: "c1" },
      { kind: "retrieved", time: T, dn: "1001", callId: "c1" },
      { kind: "released", time: T, dn: "1001", callId: "c1", cause: "normal" },
      { kind: "released", time: T, dn: "1002", callId: "c1", cause: "normal" },
    ]);
  });

  it("the called party hangs up first while held: its release comes first", () => {
    const { out, feed } = rig();
    const c = call("c2", "1003", "1004", ["1003", "1004"]);
    feed([...c.placed("1003"), ...c.dials("1003"), ...c.rings("1004"), ...c.answers("1004"), ...c.holds("1004")]);
    out.length = 0;
    feed(c.clears("1004", "1003"));
    expect(out).toEqual([
      { kind: "released", time: T, dn: "1004", callId: "c2", cause: "normal" },
      { kind: "released", time: T, dn: "1003", callId: "c2", cause: "normal" },
    ]);
  });

  it("an unanswered call the caller abandons releases both", () => {
    const { out, feed } = rig();
    const c = call("c3", "1001", "1002", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002")]);
    out.length = 0;
    feed(c.clears("1001", "1002"));
    expect(kindsAndDns(out)).toEqual([["released", "1001"], ["released", "1002"]]);
  });

  it("busy: the caller hears busy once (the paired failed events), the busy DN gets nothing, the caller is released when it hangs up", () => {
    const { out, feed } = rig();
    const c = call("c4", "1001", "1002", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.busy("1002"), ...c.clears("1001")]);
    expect(out).toEqual([
      { kind: "dialing", time: T, dn: "1001", callId: "c4", otherDN: "1002", callType: 1 },
      { kind: "busy", time: T, dn: "1001", callId: "c4", otherDN: "1002" },
      { kind: "released", time: T, dn: "1001", callId: "c4", cause: "normal" },
    ]);
  });

  it("trunk call, calling cluster: Outbound, the trunk party yields no events of its own", () => {
    const { out, feed } = rig();
    const c = call("c5", "1001", "2001", ["1001"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.networkAlerting("2001"), ...c.farAnswers("2001"), ...c.clears("2001", "1001")]);
    expect(out).toEqual([
      { kind: "dialing", time: T, dn: "1001", callId: "c5", otherDN: "2001", callType: 3 },
      { kind: "established", time: T, dn: "1001", callId: "c5", otherDN: "2001", callType: 3 },
      { kind: "released", time: T, dn: "1001", callId: "c5", cause: "normal" },
    ]);
  });

  it("trunk call, called cluster: Inbound ringing and established, nothing for the external caller", () => {
    const { out, feed } = rig(phones("2001"));
    const c = call("far-1", "1001", "2001", ["2001"]);
    feed([...c.arrivesOverTrunk("1001"), ...c.rings("2001"), ...c.answers("2001"), ...c.clears("1001", "2001")]);
    expect(out).toEqual([
      { kind: "ringing", time: T, dn: "2001", callId: "far-1", otherDN: "1001", callType: 2 },
      { kind: "established", time: T, dn: "2001", callId: "far-1", otherDN: "1001", callType: 2 },
      { kind: "released", time: T, dn: "2001", callId: "far-1", cause: "normal" },
    ]);
  });

  it("busy over a trunk: the external party fails busy, the caller hears busy", () => {
    const { out, feed } = rig();
    const c = call("c6", "1001", "2001", ["1001"]);
    feed([...c.placed("1001"), ...c.dials("1001"), c.ev("ConnCreatedEv", "2001"), c.ev("CallCtlConnNetworkReachedEv", "2001"), c.ev("ConnFailedEv", "2001", { cause: 203 }), c.ev("CallCtlConnFailedEv", "2001", { cause: 203 })]);
    expect(out.map((e) => e.kind)).toEqual(["dialing", "busy"]);
  });

  it("an unallocated number dialed by hand is no busy; the caller's call ends when it hangs up", () => {
    const { out, feed } = rig();
    const c = call("c7", "1001", "9999", ["1001"]);
    feed([...c.placed("1001"), c.ev("CallCtlConnDialingEv", "1001"), c.ev("ConnFailedEv", "1001", { cause: 103 }), c.ev("CallCtlConnFailedEv", "1001", { cause: 103 }), ...c.clears("1001")]);
    expect(out).toEqual([
      { kind: "dialing", time: T, dn: "1001", callId: "c7", otherDN: "9999", callType: 3 },
      { kind: "released", time: T, dn: "1001", callId: "c7", cause: "normal" },
    ]);
  });

  it("a route point: routeRequest, routeUsed (the agent's accepted redirect names where), no release of its own; the caller is established with the real destination", () => {
    const { out, feed, normalizer } = rig();
    const c = call("c8", "1001", "1500", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.atRoutePoint("1500")]);
    normalizer.switchAccepted("link-1", { op: "redirect", callId: "c8", address: "1500", destination: "1002" });
    feed([...c.routed("1500"), ...c.rings("1002"), ...c.answers("1002")]);
    expect(out).toEqual([
      { kind: "dialing", time: T, dn: "1001", callId: "c8", otherDN: "1500", callType: 1 },
      { kind: "routeRequest", time: T, dn: "1500", callId: "c8", otherDN: "1001", dnis: "1500", callType: 1 },
      { kind: "routeUsed", time: T, dn: "1500", callId: "c8", otherDN: "1002" },
      { kind: "ringing", time: T, dn: "1002", callId: "c8", otherDN: "1001", callType: 1, dnis: "1500" },
      { kind: "established", time: T, dn: "1002", callId: "c8", otherDN: "1001", callType: 1 },
      { kind: "established", time: T, dn: "1001", callId: "c8", otherDN: "1002", callType: 1 },
    ]);
  });

  it("a route point whose route select timer expires: routeUsed names the default destination; with none, the call is released there", () => {
    const { out, feed } = rig();
    const c = call("c13", "1001", "1500", ["1001", "1004"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.atRoutePoint("1500")]);
    out.length = 0;
    feed([...c.routeTimerExpired("1500"), ...c.rings("1004")]);
    expect(out).toEqual([
      { kind: "routeUsed", time: T, dn: "1500", callId: "c13", otherDN: "1004" },
      { kind: "ringing", time: T, dn: "1004", callId: "c13", otherDN: "1001", callType: 1, dnis: "1500" },
    ]);
    const d = call("c14", "1001", "1500", ["1001"]);
    feed([...d.placed("1001"), ...d.dials("1001"), ...d.atRoutePoint("1500")]);
    out.length = 0;
    feed([d.ev("RouteEndEvent", "1500", { cause: 101 }), ...d.clears("1500", "1001").map((e) => ({ ...e, cause: 103 }))]);
    expect(kindsAndDns(out)).toEqual([["released", "1001"], ["released", "1500"]]);
  });

  it("takes either flavour of a paired event: a core-only bridge still yields every fact once", () => {
    const { out, feed } = rig();
    const c = call("c9", "1001", "1002", ["1001", "1002"]);
    feed([c.ev("CallCtlConnDialingEv", "1001"), c.ev("TermConnRingingEv", "1002"), c.ev("ConnConnectedEv", "1002"), c.ev("ConnDisconnectedEv", "1002"), c.ev("ConnDisconnectedEv", "1001")]);
    expect(kindsAndDns(out)).toEqual([["dialing", "1001"], ["ringing", "1002"], ["established", "1002"], ["established", "1001"], ["released", "1002"], ["released", "1001"]]);
  });

  it("maps the disconnect cause: noAnswer, failed", () => {
    const { out, feed } = rig();
    const c = call("c10", "1001", "1002", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002")]);
    out.length = 0;
    feed([c.ev("ConnDisconnectedEv", "1002", { cause: 205 }), c.ev("ConnDisconnectedEv", "1001", { cause: 103 })]);
    expect(out.map((e) => (e as { cause: string }).cause)).toEqual(["noAnswer", "failed"]);
  });

  it("ignores what it cannot use without throwing: unknown ids, no call id, unknown calls, unknown DNs and devices", () => {
    const { out, feed } = rig();
    feed([
      { id: "CiscoSomethingNewEv", callId: "x", cause: 100, time: T },
      { id: "CallCtlConnDialingEv", address: "1001", cause: 100, time: T },
      { id: "CallInvalidEv", callId: "never-seen", cause: 100, time: T },
      { id: "CallCtlConnAlertingEv", callId: "y", address: "7777", cause: 100, time: T },
      { id: "CiscoAddrOutOfServiceEv", cause: 100, time: T },
      { id: "CiscoTermOutOfServiceEv", terminal: "unknown-device", cause: 100, time: T },
    ]);
    expect(out).toEqual([]);
  });
});

describe("normalizer: single-step transfer (no bracket, JDG \"Single Step Transfer\")", () => {
  function answered(callId: string) {
    const r = rig();
    const c = call(callId, "1001", "1002", ["1001", "1002", "1004"]);
    r.feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002"), ...c.answers("1002")]);
    r.out.length = 0;
    return { ...r, c };
  }
  const drop = (c: ReturnType<typeof call>, dn: string, cause = 100) => [c.ev("TermConnDroppedEv", dn, { cause }), c.ev("CallCtlTermConnDroppedEv", dn, { cause }), c.ev("ConnDisconnectedEv", dn, { cause }), c.ev("CallCtlConnDisconnectedEv", dn, { cause })];

  it("reads the controller's drop and the destination's offer as the transfer the agent issued, whatever the causes", () => {
    for (const cause of [100, 212]) {
      const { normalizer, out, feed, c } = answered(`s${cause}`);
      normalizer.switchAccepted("link-1", { op: "singleStepTransfer", callId: `s${cause}`, address: "1002", destination: "1004" });
      feed([...drop(c, "1002", cause), ...c.rings("1004")]);
      expect(out).toEqual([
        { kind: "released", time: T, dn: "1002", callId: `s${cause}`, cause: "transferred" },
        { kind: "ringing", time: T, dn: "1004", callId: `s${cause}`, otherDN: "1001", callType: 1 },
        { kind: "partyChanged", time: T, dn: "1001", callId: `s${cause}`, otherDN: "1004", thirdPartyDN: "1002" },
      ]);
    }
  });

  it("a destination over the trunk: the remaining party hears of it when the network is reached", () => {
    const { normalizer, out, feed, c } = answered("s2");
    normalizer.switchAccepted("link-1", { op: "singleStepTransfer", callId: "s2", address: "1002", destination: "2001" });
    feed([...drop(c, "1002"), ...c.networkAlerting("2001")]);
    expect(kindsAndDns(out)).toEqual([["released", "1002"], ["partyChanged", "1001"]]);
    expect(out[1]).toMatchObject({ otherDN: "2001", thirdPartyDN: "1002" });
  });

  it("without the agent's request, the same events are an ordinary hang-up and a new party", () => {
    const { out, feed, c } = answered("s3");
    feed(drop(c, "1002"));
    expect(out).toEqual([{ kind: "released", time: T, dn: "1002", callId: "s3", cause: "normal" }]);
  });
});

describe("normalizer: single-step conference (CallControlCall.addParty)", () => {
  it("the parties already in the call hear of the new party once it is offered the call; it rings, answers, and is a party", () => {
    const { normalizer, out, feed } = rig();
    const c = call("p1", "1001", "1002", ["1001", "1002", "1003"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002"), ...c.answers("1002")]);
    out.length = 0;
    normalizer.switchAccepted("link-1", { op: "addParty", callId: "p1", address: "1002", destination: "1003" });
    feed([...c.rings("1003"), ...c.answers("1003")]);
    expect(out).toEqual([
      { kind: "ringing", time: T, dn: "1003", callId: "p1", otherDN: "1001", callType: 1 },
      { kind: "partyAdded", time: T, dn: "1001", callId: "p1", otherDN: "1003", thirdPartyDN: "1002" },
      { kind: "partyAdded", time: T, dn: "1002", callId: "p1", otherDN: "1003", thirdPartyDN: "1002" },
      { kind: "established", time: T, dn: "1003", callId: "p1", otherDN: "1001", callType: 1 },
    ]);
  });
});

describe("normalizer: service", () => {
  it("out of service once (terminal and address events), back in service once both are back", () => {
    const { out, feed } = rig();
    feed(outOfService("1004"));
    expect(out).toEqual([{ kind: "service", time: T, dn: "1004", inService: false }]);
    feed(backInService("1004").slice(0, 1)); // the terminal is back, the address not yet
    expect(out).toHaveLength(1);
    feed(backInService("1004").slice(1));
    expect(out).toEqual([{ kind: "service", time: T, dn: "1004", inService: false }, { kind: "service", time: T, dn: "1004", inService: true }]);
  });

  it("reads a terminal event that names its address too (the simulator's way)", () => {
    const { out, feed } = rig();
    feed(outOfService("1003", true));
    expect(out).toEqual([{ kind: "service", time: T, dn: "1003", inService: false }]);
  });
});

describe("normalizer: snapshot", () => {
  it("lists every served DN with its exact calls: phase, otherDN, role, callType", () => {
    const normalizer = new Normalizer();
    const snapshot: Snapshot = {
      addresses: [...phones("1001", "1002", "1003", "1004", "1005"), { address: "1006", terminal: terminalOf("1006"), kind: "ctiPort", inService: true, terminalInService: false }],
      calls: [
        { callId: "a", callingAddress: "1001", calledAddress: "1002", connections: [{ address: "1001", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "1002", state: "ESTABLISHED", terminalState: "HELD" }] },
        { callId: "b", callingAddress: "1003", calledAddress: "1004", connections: [{ address: "1003", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "1004", state: "ALERTING", terminalState: "RINGING" }] },
        { callId: "c", callingAddress: "1005", calledAddress: "2001", connections: [{ address: "1005", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "2001", state: "NETWORK_ALERTING" }] },
        { callId: "d", callingAddress: "2002", calledAddress: "1005", connections: [{ address: "2002", state: "ESTABLISHED" }, { address: "1005", state: "ESTABLISHED", terminalState: "HELD" }] },
      ],
    };
    expect(normalizer.snapshot("link-1", snapshot, T)).toEqual({
      kind: "snapshot", time: T, dns: [
        { dn: "1001", kind: "phone", inService: true, calls: [{ callId: "a", phase: "established", otherDN: "1002", role: 1, callType: 1 }] },
        { dn: "1002", kind: "phone", inService: true, calls: [{ callId: "a", phase: "held", otherDN: "1001", role: 2, callType: 1 }] },
        { dn: "1003", kind: "phone", inService: true, calls: [{ callId: "b", phase: "dialing", otherDN: "1004", role: 1, callType: 1 }] },
        { dn: "1004", kind: "phone", inService: true, calls: [{ callId: "b", phase: "ringing", otherDN: "1003", role: 2, callType: 1 }] },
        { dn: "1005", kind: "phone", inService: true, calls: [
          { callId: "c", phase: "dialing", otherDN: "2001", role: 1, callType: 3 },
          { callId: "d", phase: "held", otherDN: "2002", role: 2, callType: 2 },
        ] },
        { dn: "1006", kind: "ctiPort", inService: false, calls: [] },
      ],
    });
  });

  it("picks a call up where the snapshot left it: a call answered during an outage is held and released normally", () => {
    const { normalizer, out, feed } = rig();
    const c = call("c11", "1001", "1002", ["1001", "1002"]);
    feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002")]);
    normalizer.forgetLink("link-1");
    normalizer.snapshot("link-1", { addresses: phones("1001", "1002", "1003", "1004"), calls: [
      { callId: "c11", callingAddress: "1001", calledAddress: "1002", connections: [{ address: "1001", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "1002", state: "ESTABLISHED", terminalState: "TALKING" }] },
    ] }, T);
    out.length = 0;
    feed([...c.holds("1002"), ...c.clears("1001", "1002")]);
    expect(kindsAndDns(out)).toEqual([["held", "1002"], ["released", "1001"], ["released", "1002"]]);
  });

  it("gives each DN to the first link that lists it and ignores the other links' events for it", () => {
    const { normalizer, out, feed } = rig();
    const snap2 = normalizer.snapshot("link-2", { addresses: phones("1001", "1009"), calls: [] }, T);
    expect(snap2.dns.map((d) => d.dn)).toEqual(["1009"]);
    expect(normalizer.linkOf("1001")).toBe("link-1");
    expect(normalizer.linkOf("1009")).toBe("link-2");
    const c = call("c12", "1001", "1009", ["1001", "1009"]);
    // both links observe the call; each tells the facts of its own DNs
    for (const link of ["link-2", "link-1"]) feed([...c.placed("1001"), ...c.dials("1001"), ...c.rings("1009")], link);
    feed(outOfService("1001"), "link-2");
    expect(kindsAndDns(out)).toEqual([["ringing", "1009"], ["dialing", "1001"]]);
  });
});
