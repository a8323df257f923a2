// Silent monitoring as Cisco documents it: the monitor call of JDG MSC p.1593, its pre-conditions (JDG p.345,
// p.232), moving it by single-step transfer locally and over the trunk (JDG p.1594, jtapi-fidelity B.1 (1) 3),
// the end of monitoring both ways (JDG p.1276, TDG 1064) and the CTI port's media timer.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JtapiEvent } from "../../../shared/switch-link.js";
import type { Simulator } from "../src/index.js";
import { record, sim, simWith, until } from "./helpers.js";

let s: Simulator;
beforeEach(async () => { s = await sim(); });
afterEach(async () => { await s.stop(); });

/** 1001 calls 1002 and 1002 answers: the agent's call GC1. */
function agentCall(sim: Simulator): string {
  const c = sim.cluster("site-a");
  const gc1 = c.originate("1001", "1002", "cti");
  c.answer(gc1.id, "1002");
  return gc1.id;
}

/** Trail without the transfer bracket, which a single-step transfer does not have at Cisco (jtapi-fidelity A3). */
const trail = (events: JtapiEvent[]) => events.filter((e) => !e.id.startsWith("CiscoTransfer")).map((e) => `${e.id}@${e.address ?? ""}${e.cause !== 100 ? `#${e.cause}` : ""}`);

describe("the monitor call (JDG MSC p.1593)", () => {
  it("is a new call from the CTI port that reaches the agent as a MONITORING_TARGET; the agent's call hears MonitoringStart, then InitiatorInfo", () => {
    const gc1 = agentCall(s);
    const a = record(s, "site-a");
    const gc2 = s.cluster("site-a").startMonitor(gc1, "1002", "1901", 1, 3);
    expect(gc2.id).not.toBe(gc1);
    expect(trail(a.events)).toEqual([
      "CallActiveEv@",
      "ConnCreatedEv@1901", "ConnConnectedEv@1901", "CallCtlConnInitiatedEv@1901",
      "TermConnCreatedEv@1901", "TermConnActiveEv@1901", "CallCtlTermConnTalkingEv@1901",
      "CallCtlConnDialingEv@1901", "CallCtlConnEstablishedEv@1901",
      "ConnCreatedEv@1002", "ConnInProgressEv@1002", "CallCtlConnOfferedEv@1002", "ConnAlertingEv@1002", "CallCtlConnAlertingEv@1002",
      "ConnConnectedEv@1002", "CallCtlConnEstablishedEv@1002",
      "CiscoRTPInputStartedEv@1901", "CiscoTermConnMonitorTargetInfoEv@1901",
      "CiscoTermConnMonitoringStartEv@1002", "CiscoTermConnMonitorInitiatorInfoEv@1002",
    ]);
    const [onGc2, onGc1] = [a.events.slice(0, 18), a.events.slice(18)];
    expect(onGc2.every((e) => e.callId === gc2.id && e.callingAddress === "1901" && e.calledAddress === "1002")).toBe(true);
    // CiscoAddress.getType(): INTERNAL for the port, MONITORING_TARGET for the agent's leg, on every connection event
    expect(onGc2.filter((e) => /^(Conn|CallCtlConn)/.test(e.id)).map((e) => `${e.address}:${e.addressType}`)).toEqual([
      ...Array(5).fill("1901:1"), ...Array(7).fill("1002:5"),
    ]);
    expect(onGc2[17]).toMatchObject({ id: "CiscoTermConnMonitorTargetInfoEv", terminal: "CTIP1901", targetAddress: "1002", targetTerminal: "SEP0000000A1002" });
    expect(onGc1[0]).toMatchObject({ callId: gc1, terminal: "SEP0000000A1002", monitorType: 1, toneDirection: 3 });
    expect(onGc1[0]!.monitorCallId).toBeUndefined(); // the bridge's own correlation, not the switch's
    expect(onGc1[1]).toMatchObject({ callId: gc1, terminal: "SEP0000000A1002", initiatorAddress: "1901", initiatorTerminal: "CTIP1901", initiatorAddressType: 1 });
    // the agent has one call: the monitor call is the port's
    expect(s.cluster("site-a").callsOf("1002").map((c) => c.id)).toEqual([gc1]);
    expect(s.cluster("site-a").callsOf("1901").map((c) => c.id)).toEqual([gc2.id]);
  });

  it("snapshots the agent's leg with addressType 5", () => {
    const gc1 = agentCall(s);
    const gc2 = s.cluster("site-a").startMonitor(gc1, "1002", "1901");
    const snap = s.cluster("site-a").snapshot(new Set(["1901", "1002"]));
    expect(snap.calls.find((c) => c.callId === gc2.id)!.connections).toEqual([
      { address: "1901", state: "ESTABLISHED", terminalState: "TALKING" },
      { address: "1002", state: "ESTABLISHED", addressType: 5 },
    ]);
  });

  it("refuses what Cisco refuses (JDG p.345, p.232; jtapi-fidelity B.1 (1) 2)", async () => {
    const c = s.cluster("site-a");
    const ringing = c.originate("1001", "1002", "cti");
    const fault = (f: () => unknown) => { try { f(); } catch (err) { return err as { exception: string; errorName?: string; message: string }; } throw new Error("no fault"); };
    expect(fault(() => c.startMonitor(ringing.id, "1002", "1901"))).toMatchObject({ exception: "InvalidStateException", message: expect.stringMatching(/connected/) });
    c.answer(ringing.id, "1002");
    c.hold(ringing.id, "1002");
    expect(fault(() => c.startMonitor(ringing.id, "1002", "1901")).exception).toBe("InvalidStateException");
    c.unhold(ringing.id, "1002");
    const busy = c.originate("1902", "1003", "cti");
    expect(fault(() => c.startMonitor(ringing.id, "1002", "1902"))).toMatchObject({ exception: "ResourceUnavailableException", message: expect.stringMatching(/busy/) });
    c.disconnect(busy.id, "1902");
    c.startMonitor(ringing.id, "1002", "1901");
    expect(fault(() => c.startMonitor(ringing.id, "1002", "1902"))).toMatchObject({ exception: "InvalidStateException", message: expect.stringMatching(/already monitored/) });
    // no built-in bridge: a phone with it off, or a CTI port as the agent
    const noBib = await simWith({ "site-a": { "1003": { builtInBridge: false } } });
    try {
      const n = noBib.cluster("site-a");
      const call = n.originate("1001", "1003", "cti");
      n.answer(call.id, "1003");
      expect(fault(() => n.startMonitor(call.id, "1003", "1901"))).toMatchObject({ exception: "ResourceUnavailableException", errorName: "CTIERR_BIB_RESOURCE_NOT_AVAILABLE" });
    } finally {
      await noBib.stop();
    }
  });

  it("the switch link carries the refusal's Cisco error name", async () => {
    const { LinkClient } = await import("./helpers.js");
    const link = await LinkClient.connect(s.clusters["site-a"]!.linkPort);
    try {
      await link.hello();
      link.send({ type: "request", id: 1, op: "snapshot" });
      await link.waitFor((f) => f.type === "response" && f.id === 1);
      // a CTI port as the "agent": it has no built-in bridge
      const toPort = s.cluster("site-a").originate("1003", "1902", "cti");
      s.cluster("site-a").answer(toPort.id, "1902");
      link.send({ type: "request", id: 2, op: "startMonitor", callId: toPort.id, address: "1902", monitor: "1901", monitorType: 1, tone: 3 });
      expect((await link.waitFor((f) => f.type === "response" && f.id === 2)).error).toMatchObject({ exception: "ResourceUnavailableException", errorName: "CTIERR_BIB_RESOURCE_NOT_AVAILABLE" });
      const gc1 = agentCall(s);
      link.send({ type: "request", id: 3, op: "startMonitor", callId: gc1, address: "1002", monitor: "1901", monitorType: 1, tone: 3 });
      const ok = await link.waitFor((f) => f.type === "response" && f.id === 3);
      // the answer first, then the monitor call's events (the link's ordering rule)
      const events = await link.waitFor((f) => f.type === "events" && f.events.some((e: JtapiEvent) => e.callId === ok.result.callId));
      expect(link.frames.indexOf(events)).toBeGreaterThan(link.frames.indexOf(ok));
      expect(events.events[0]).toMatchObject({ id: "CallActiveEv", callId: ok.result.callId });
    } finally {
      link.close();
    }
  });
});

describe("moving the monitor call (jtapi-fidelity B.1 (1) 3)", () => {
  it("locally: 1003 is offered it, and once connected it is the initiator (new TargetInfo on its terminal, new InitiatorInfo on the agent's call)", () => {
    const c = s.cluster("site-a");
    const gc1 = agentCall(s);
    const gc2 = c.startMonitor(gc1, "1002", "1901").id;
    const a = record(s, "site-a");
    c.singleStepTransfer(gc2, "1901", "1003");
    expect(trail(a.events)).toEqual([
      "TermConnDroppedEv@1901", "CallCtlTermConnDroppedEv@1901", "ConnDisconnectedEv@1901", "CallCtlConnDisconnectedEv@1901",
      "ConnCreatedEv@1003", "ConnInProgressEv@1003", "CallCtlConnOfferedEv@1003", "ConnAlertingEv@1003", "CallCtlConnAlertingEv@1003",
      "TermConnCreatedEv@1003", "TermConnRingingEv@1003", "CallCtlTermConnRingingEv@1003",
    ]);
    // the remaining party is the agent's leg: it is who the destination sees calling (transferCallerId "remaining")
    expect(a.events.find((e) => e.id === "ConnAlertingEv")).toMatchObject({ callId: gc2, callingAddress: "1002", calledAddress: "1003", lastRedirectedAddress: "1901" });
    a.clear();
    c.answer(gc2, "1003");
    expect(trail(a.events)).toEqual([
      "ConnConnectedEv@1003", "CallCtlConnEstablishedEv@1003", "TermConnActiveEv@1003", "CallCtlTermConnTalkingEv@1003",
      "CiscoTermConnMonitorTargetInfoEv@1003", "CiscoTermConnMonitorInitiatorInfoEv@1002",
    ]);
    expect(a.events[4]).toMatchObject({ callId: gc2, terminal: "SEP0000000A1003", targetAddress: "1002" });
    expect(a.events[5]).toMatchObject({ callId: gc1, initiatorAddress: "1003", initiatorTerminal: "SEP0000000A1003", initiatorAddressType: 1 });
    // the supervisor hangs up first: the monitor call ends, then the agent's call hears the end of monitoring
    a.clear();
    c.disconnect(gc2, "1003");
    expect(trail(a.events)).toEqual([
      "TermConnDroppedEv@1003", "CallCtlTermConnDroppedEv@1003", "ConnDisconnectedEv@1003", "CallCtlConnDisconnectedEv@1003",
      "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002", "CallInvalidEv@",
      "CiscoTermConnMonitoringEndEv@1002",
    ]);
    expect(a.events[4]!.addressType).toBe(5);
    expect(a.events[7]).toMatchObject({ callId: gc1, terminal: "SEP0000000A1002" });
    expect(c.callsOf("1002").map((x) => x.id)).toEqual([gc1]);
  });

  it("across the trunk: the far cluster sees an ordinary inbound call from the agent's number; its answer makes an EXTERNAL initiator", () => {
    const a = s.cluster("site-a");
    const gc1 = agentCall(s);
    const gc2 = a.startMonitor(gc1, "1002", "1901").id;
    const ra = record(s, "site-a");
    const rb = record(s, "site-b");
    a.singleStepTransfer(gc2, "1901", "2003");
    expect(trail(ra.events)).toEqual([
      "TermConnDroppedEv@1901", "CallCtlTermConnDroppedEv@1901", "ConnDisconnectedEv@1901", "CallCtlConnDisconnectedEv@1901",
      "ConnCreatedEv@2003", "ConnInProgressEv@2003", "CallCtlConnNetworkReachedEv@2003", "ConnAlertingEv@2003", "CallCtlConnNetworkAlertingEv@2003",
    ]);
    expect(ra.events.filter((e) => e.address === "2003").every((e) => e.addressType === 2)).toBe(true);
    expect(trail(rb.events)).toEqual([
      "CallActiveEv@", "ConnCreatedEv@1002", "ConnConnectedEv@1002",
      "ConnCreatedEv@2003", "ConnInProgressEv@2003", "CallCtlConnOfferedEv@2003", "ConnAlertingEv@2003", "CallCtlConnAlertingEv@2003",
      "TermConnCreatedEv@2003", "TermConnRingingEv@2003", "CallCtlTermConnRingingEv@2003",
    ]);
    expect(rb.events[0]).toMatchObject({ callingAddress: "1002", calledAddress: "2003" });
    expect(rb.events[1]!.addressType).toBe(2);
    const c2 = s.cluster("site-b").callsOf("2003")[0]!.id;
    ra.clear();
    s.cluster("site-b").answer(c2, "2003");
    expect(trail(ra.events)).toEqual(["ConnConnectedEv@2003", "CallCtlConnEstablishedEv@2003", "CiscoTermConnMonitorInitiatorInfoEv@1002"]);
    expect(ra.events[2]).toMatchObject({ callId: gc1, initiatorAddress: "2003", initiatorAddressType: 2 });
    expect(ra.events[2]!.initiatorTerminal).toBeUndefined();
    // the agent's call ends: UCM clears the monitor call, and its far half clears at site-b (TDG 1064)
    ra.clear();
    rb.clear();
    a.disconnect(gc1, "1001");
    expect(trail(ra.events)).toEqual([
      "TermConnDroppedEv@1001", "CallCtlTermConnDroppedEv@1001", "ConnDisconnectedEv@1001", "CallCtlConnDisconnectedEv@1001",
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002", "CallInvalidEv@",
      // then the monitor call: no MonitoringEnd, the agent's terminal connection is gone already
      "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002", "ConnDisconnectedEv@2003", "CallCtlConnDisconnectedEv@2003", "CallInvalidEv@",
    ]);
    expect(ra.events.slice(9).every((e) => e.callId === gc2)).toBe(true);
    expect(ra.events[9]!.addressType).toBe(5);
    expect(trail(rb.events)).toEqual([
      "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002",
      "TermConnDroppedEv@2003", "CallCtlTermConnDroppedEv@2003", "ConnDisconnectedEv@2003", "CallCtlConnDisconnectedEv@2003", "CallInvalidEv@",
    ]);
    expect(a.calls.size + s.cluster("site-b").calls.size).toBe(0);
  });

  it("to a busy destination, over the trunk or here, the transfer fails busy and the monitor call stays at the port (JDG \"Single Step Transfer\")", () => {
    const a = s.cluster("site-a");
    const b = s.cluster("site-b");
    const gc1 = agentCall(s);
    const gc2 = a.startMonitor(gc1, "1002", "1901").id;
    // 2003 is on a call of its own (busy trigger 1)
    const busy = b.originate("2003", "2001", "cti");
    b.answer(busy.id, "2001");
    const ra = record(s, "site-a");
    const rb = record(s, "site-b");
    expect(() => a.singleStepTransfer(gc2, "1901", "2003")).toThrow(expect.objectContaining({ exception: "ResourceUnavailableException", message: expect.stringContaining("busy") }));
    // nothing changed: no event on either side, the port still holds the monitor call, 2003 only its own call
    expect(ra.events).toEqual([]);
    expect(rb.events).toEqual([]);
    expect(a.callsOf("1901").map((c) => c.id)).toEqual([gc2]);
    expect(b.callsOf("2003").map((c) => c.id)).toEqual([busy.id]);
    // the same for a busy local destination (1004 on a call with 1003)
    const local = a.originate("1003", "1004", "cti");
    a.answer(local.id, "1004");
    ra.clear();
    expect(() => a.singleStepTransfer(gc2, "1901", "1004")).toThrow(expect.objectContaining({ exception: "ResourceUnavailableException" }));
    expect(ra.events).toEqual([]);
    // once 2003 is free, the transfer goes through
    b.disconnect(busy.id, "2001");
    a.singleStepTransfer(gc2, "1901", "2003");
    expect(b.callsOf("2003")).toHaveLength(1);
  });

  it("with transferCallerId \"transferrer\", the far side sees the CTI port's number", async () => {
    const t = await simWith({}, { "site-a": { transferCallerId: "transferrer" } });
    try {
      const gc1 = agentCall(t);
      const gc2 = t.cluster("site-a").startMonitor(gc1, "1002", "1901").id;
      t.cluster("site-a").singleStepTransfer(gc2, "1901", "2003");
      expect(t.cluster("site-b").callsOf("2003")[0]).toMatchObject({ callingAddress: "1901", calledAddress: "2003" });
    } finally {
      await t.stop();
    }
  });

  it("holding the agent's call keeps the monitor call (JDG p.1276)", () => {
    const c = s.cluster("site-a");
    const gc1 = agentCall(s);
    const gc2 = c.startMonitor(gc1, "1002", "1901").id;
    c.hold(gc1, "1002");
    c.unhold(gc1, "1002");
    expect(c.calls.has(gc2)).toBe(true);
  });
});

describe("the CTI port's media timer (jtapi-fidelity B.1 (1) 5)", () => {
  it("drops a monitor call still at the port after mediaTimeoutMs; the agent's call hears MonitoringEnd", async () => {
    const t = await simWith({ "site-a": { "1901": { mediaTimeoutMs: 100 } } });
    try {
      const gc1 = agentCall(t);
      const gc2 = t.cluster("site-a").startMonitor(gc1, "1002", "1901").id;
      const a = record(t, "site-a");
      await until(() => a.events.some((e) => e.id === "CiscoTermConnMonitoringEndEv"), "the end of monitoring");
      expect(trail(a.events)).toEqual([
        "TermConnDroppedEv@1901", "CallCtlTermConnDroppedEv@1901", "ConnDisconnectedEv@1901", "CallCtlConnDisconnectedEv@1901",
        "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002", "CallInvalidEv@",
        "CiscoTermConnMonitoringEndEv@1002",
      ]);
      expect(a.events[0]!.callId).toBe(gc2);
      expect(t.cluster("site-a").calls.has(gc1)).toBe(true);
    } finally {
      await t.stop();
    }
  });

  it("leaves a monitor call alone once it was transferred away from the port", async () => {
    const t = await simWith({ "site-a": { "1901": { mediaTimeoutMs: 100 } } });
    try {
      const c = t.cluster("site-a");
      const gc1 = agentCall(t);
      const gc2 = c.startMonitor(gc1, "1002", "1901").id;
      c.singleStepTransfer(gc2, "1901", "1003");
      c.answer(gc2, "1003");
      // the port's own next monitor call proves time went by past the timer without touching gc2
      const other = c.originate("1001", "1004", "cti");
      c.answer(other.id, "1004");
      const probe = c.startMonitor(other.id, "1004", "1901").id;
      await until(() => !c.calls.has(probe), "the probe monitor call to be dropped by the timer");
      expect(c.calls.has(gc2)).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
