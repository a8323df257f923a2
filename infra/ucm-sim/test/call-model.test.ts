// The JTAPI event sequences of the simulated cluster, exactly, in order.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { record, sim, simWith } from "./helpers.js";

let s: Simulator;
beforeEach(async () => { s = await sim(); });
afterEach(async () => { await s.stop(); });

const CALLING = ["CallActiveEv@", "ConnCreatedEv@1001", "ConnConnectedEv@1001", "CallCtlConnInitiatedEv@1001", "TermConnCreatedEv@1001", "TermConnActiveEv@1001", "CallCtlTermConnTalkingEv@1001"];
const RINGING_1002 = ["ConnCreatedEv@1002", "ConnInProgressEv@1002", "CallCtlConnOfferedEv@1002", "ConnAlertingEv@1002", "CallCtlConnAlertingEv@1002", "TermConnCreatedEv@1002", "TermConnRingingEv@1002", "CallCtlTermConnRingingEv@1002"];
const ANSWER_1002 = ["ConnConnectedEv@1002", "CallCtlConnEstablishedEv@1002", "TermConnActiveEv@1002", "CallCtlTermConnTalkingEv@1002"];

describe("a basic call on one cluster", () => {
  it("makes, answers, holds, retrieves and clears with JTAPI's events in order", () => {
    const a = record(s, "site-a");
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    expect(a.trail()).toEqual([...CALLING, "CallCtlConnDialingEv@1001", "CallCtlConnEstablishedEv@1001", ...RINGING_1002]);
    expect(a.events.every((e) => e.callId === call.id && e.callingAddress === "1001" && e.calledAddress === "1002")).toBe(true);
    expect(a.events.find((e) => e.id === "TermConnRingingEv")!.terminal).toBe("SEP0000000A1002");
    a.clear();
    cluster.answer(call.id, "1002");
    expect(a.trail()).toEqual(ANSWER_1002);
    a.clear();
    cluster.hold(call.id, "1001");
    cluster.unhold(call.id, "1001");
    expect(a.trail()).toEqual(["CallCtlTermConnHeldEv@1001", "CallCtlTermConnTalkingEv@1001#214"]);
    a.clear();
    cluster.disconnect(call.id, "1002");
    expect(a.trail()).toEqual([
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002",
      "TermConnDroppedEv@1001", "CallCtlTermConnDroppedEv@1001", "ConnDisconnectedEv@1001", "CallCtlConnDisconnectedEv@1001",
      "CallInvalidEv@",
    ]);
    expect(cluster.calls.size).toBe(0);
  });

  it("refuses wrong states with JTAPI exceptions", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    expect(() => cluster.answer(call.id, "1001")).toThrow(/not ringing/);
    expect(() => cluster.unhold(call.id, "1001")).toThrow(/not held/);
    expect(() => cluster.originate("1001", "7777", "cti")).toThrow(/unallocated/);
    expect(() => cluster.answer("nope", "1002")).toThrow(/no call/);
  });

  it("fails a call to a busy line with cause BUSY and keeps the caller's connection", () => {
    const cluster = s.cluster("site-a");
    cluster.originate("1003", "1002", "cti");
    const a = record(s, "site-a");
    cluster.originate("1001", "1002", "cti");
    expect(a.trail().slice(-3)).toEqual(["ConnCreatedEv@1002", "ConnFailedEv@1002#203", "CallCtlConnFailedEv@1002#203"]);
    expect(cluster.callsOf("1001")).toHaveLength(1);
  });

  it("fails a number dialed by hand that nobody owns with DEST_NOT_OBTAINABLE", () => {
    const a = record(s, "site-a");
    s.cluster("site-a").originate("1001", "7777", "manual");
    expect(a.trail().slice(-3)).toEqual(["CallCtlConnDialingEv@1001", "ConnFailedEv@1001#103", "CallCtlConnFailedEv@1001#103"]);
  });

  it("drops the calls of a device that goes out of service, then reports it back in service", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    cluster.setInService("1002", false);
    expect(a.trail().slice(-3)).toEqual(["CallInvalidEv@", "CiscoTermOutOfServiceEv@1002", "CiscoAddrOutOfServiceEv@1002"]);
    expect(() => cluster.originate("1002", "1001", "cti")).toThrow(/out of service/);
    a.clear();
    cluster.setInService("1002", true);
    expect(a.trail()).toEqual(["CiscoTermInServiceEv@1002", "CiscoAddrInServiceEv@1002"]);
  });

  it("a CallManager node failure keeps the device's calls and ends their observation: address, then terminal out of service, cause 1001", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    cluster.setInService("1002", false, "node-failure");
    expect(a.trail()).toEqual(["CiscoAddrOutOfServiceEv@1002", "CiscoTermOutOfServiceEv@1002"]);
    expect(a.events.map((e) => e.oosCause)).toEqual([1001, 1001]);
    expect(cluster.describe("1002")).toMatchObject({ inService: false, calls: [{ callId: call.id, state: "ESTABLISHED", terminalState: "TALKING" }] });
    a.clear();
    cluster.setInService("1002", true);
    expect(a.trail()).toEqual(["CiscoTermInServiceEv@1002", "CiscoAddrInServiceEv@1002"]);
    expect(cluster.callsOf("1002").map((c) => c.id)).toEqual([call.id]);
  });

  it("auto-answers a call to a CTI port", async () => {
    // the demo's ports are monitor initiators, with autoAnswer off: this one is switched on
    const s2 = await simWith({ "site-a": { "1902": { autoAnswer: true } } });
    try {
      const a = record(s2, "site-a");
      s2.cluster("site-a").originate("1001", "1902", "cti");
      expect(a.trail().slice(-4)).toEqual(["ConnConnectedEv@1902", "CallCtlConnEstablishedEv@1902", "TermConnActiveEv@1902", "CallCtlTermConnTalkingEv@1902"]);
    } finally {
      await s2.stop();
    }
  });

  it("gives busy for a remote terminal that is not extended", () => {
    const a = record(s, "site-a");
    s.cluster("site-a").originate("1001", "1801", "cti");
    expect(a.trail().slice(-2)).toEqual(["ConnFailedEv@1801#203", "CallCtlConnFailedEv@1801#203"]);
  });
});

describe("a call across the trunk", () => {
  it("shows an external party on each cluster; answer and hangup cross over", () => {
    const a = record(s, "site-a");
    const b = record(s, "site-b");
    const call = s.cluster("site-a").originate("1001", "2001", "cti");
    expect(a.trail()).toEqual([...CALLING, "CallCtlConnDialingEv@1001", "CallCtlConnEstablishedEv@1001",
      "ConnCreatedEv@2001", "ConnInProgressEv@2001", "CallCtlConnNetworkReachedEv@2001", "ConnAlertingEv@2001", "CallCtlConnNetworkAlertingEv@2001"]);
    expect(b.trail()).toEqual(["CallActiveEv@", "ConnCreatedEv@1001", "ConnConnectedEv@1001",
      "ConnCreatedEv@2001", "ConnInProgressEv@2001", "CallCtlConnOfferedEv@2001", "ConnAlertingEv@2001", "CallCtlConnAlertingEv@2001",
      "TermConnCreatedEv@2001", "TermConnRingingEv@2001", "CallCtlTermConnRingingEv@2001"]);
    const far = s.cluster("site-b").callsOf("2001")[0]!;
    expect(far.id).not.toBe(call.id);
    a.clear(); b.clear();
    s.cluster("site-b").answer(far.id, "2001");
    expect(b.trail()).toEqual(["ConnConnectedEv@2001", "CallCtlConnEstablishedEv@2001", "TermConnActiveEv@2001", "CallCtlTermConnTalkingEv@2001"]);
    expect(a.trail()).toEqual(["ConnConnectedEv@2001", "CallCtlConnEstablishedEv@2001"]);
    a.clear(); b.clear();
    s.cluster("site-b").disconnect(far.id, "2001");
    expect(b.trail().at(-1)).toBe("CallInvalidEv@");
    expect(a.trail()).toEqual(["ConnDisconnectedEv@2001", "CallCtlConnDisconnectedEv@2001",
      "TermConnDroppedEv@1001", "CallCtlTermConnDroppedEv@1001", "ConnDisconnectedEv@1001", "CallCtlConnDisconnectedEv@1001", "CallInvalidEv@"]);
    expect(s.cluster("site-a").calls.size + s.cluster("site-b").calls.size).toBe(0);
  });

  it("fails the external party busy when the far line is busy, and the caller keeps its call", () => {
    s.cluster("site-b").originate("2001", "2002", "cti");
    const a = record(s, "site-a");
    s.cluster("site-a").originate("1001", "2001", "cti");
    expect(a.trail().slice(-2)).toEqual(["ConnFailedEv@2001#203", "CallCtlConnFailedEv@2001#203"]);
    expect(s.cluster("site-a").callsOf("1001")).toHaveLength(1);
    expect(s.cluster("site-b").callsOf("2001")).toHaveLength(1);
  });
});

describe("transfer", () => {
  it("two-step: consult holds the call and dials; transfer joins the consulted party to the held call and drops the controller", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    const consult = cluster.consult(call.id, "1002", "1003");
    expect(a.trail().slice(0, 2)).toEqual(["CallCtlTermConnHeldEv@1002", "CallActiveEv@"]);
    cluster.answer(consult.id, "1003");
    a.clear();
    cluster.transfer(call.id, consult.id, "1002");
    // JDG Table 8: the controller drops from the final call, the consulted party appears in it, then the consult call is cleared
    expect(a.trail()).toEqual([
      "CiscoTransferStartEv@1002",
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002#212", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002#212",
      "ConnCreatedEv@1003", "ConnConnectedEv@1003", "CallCtlConnEstablishedEv@1003#212", "TermConnCreatedEv@1003", "TermConnActiveEv@1003", "CallCtlTermConnTalkingEv@1003#212",
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002#212", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002#212",
      "TermConnDroppedEv@1003", "CallCtlTermConnDroppedEv@1003#212", "ConnDisconnectedEv@1003", "CallCtlConnDisconnectedEv@1003#212",
      "CallInvalidEv@",
      "CiscoTransferEndEv@1002",
    ]);
    expect(a.events.map((e) => e.callId)).toEqual([...Array(11).fill(call.id), ...Array(9).fill(consult.id), call.id]);
    expect(a.events.slice(1, -1).every((e) => e.metaCode === 134)).toBe(true);
    expect(a.events[0]).toMatchObject({ callId: call.id, transferredCallId: consult.id });
    expect(cluster.calls.size).toBe(1);
    expect(cluster.callsOf("1001")[0]!.connections.map((c) => [c.address, c.state])).toEqual([["1001", "ESTABLISHED"], ["1003", "ESTABLISHED"]]);
  });

  it("conference: the controller talks again, the consulted party appears in the final call, then the consult call is cleared", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const consult = cluster.consult(call.id, "1002", "1003");
    cluster.answer(consult.id, "1003");
    const a = record(s, "site-a");
    cluster.conference(call.id, consult.id, "1002");
    expect(a.trail()).toEqual([
      "CiscoConferenceStartEv@1002",
      "CallCtlTermConnTalkingEv@1002#207",
      "ConnCreatedEv@1003", "ConnConnectedEv@1003", "CallCtlConnEstablishedEv@1003#207", "TermConnCreatedEv@1003", "TermConnActiveEv@1003", "CallCtlTermConnTalkingEv@1003#207",
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002#207", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002#207",
      "TermConnDroppedEv@1003", "CallCtlTermConnDroppedEv@1003#207", "ConnDisconnectedEv@1003", "CallCtlConnDisconnectedEv@1003#207",
      "CallInvalidEv@",
      "CiscoConferenceEndEv@1002",
    ]);
    expect(a.events.slice(1, -1).every((e) => e.metaCode === 133)).toBe(true);
    expect(cluster.callsOf("1002")[0]!.connections.map((c) => [c.address, c.state, c.termState])).toEqual([["1001", "ESTABLISHED", "TALKING"], ["1002", "ESTABLISHED", "TALKING"], ["1003", "ESTABLISHED", "TALKING"]]);
  });

  it("single-step: the controller leaves and the destination rings in the same call", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    cluster.singleStepTransfer(call.id, "1002", "1004");
    // JDG "Single Step Transfer": no CiscoTransferStartEv/EndEv bracket
    expect(a.trail()).toEqual([
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002",
      ...RINGING_1002.map((e) => e.replace("1002", "1004")),
    ]);
    expect(a.events.find((e) => e.id === "CallCtlConnAlertingEv")).toMatchObject({ callingAddress: "1001", calledAddress: "1004", lastRedirectedAddress: "1002" });
    a.clear();
    // a failed transfer leaves the call as it was, and says nothing
    expect(() => cluster.singleStepTransfer(call.id, "1001", "7777")).toThrow(/unallocated/);
    expect(a.trail()).toEqual([]);
    expect(cluster.describe("1001")).toMatchObject({ calls: [{ state: "ESTABLISHED", parties: [{ address: "1004", state: "ALERTING" }] }] });
  });
});

describe("clear call and add party", () => {
  it("drop (CallControlCall.drop) clears the whole call, the requesting party first", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    cluster.dropCall(call.id, "1002");
    expect(a.trail()).toEqual([
      "TermConnDroppedEv@1002", "CallCtlTermConnDroppedEv@1002", "ConnDisconnectedEv@1002", "CallCtlConnDisconnectedEv@1002",
      "TermConnDroppedEv@1001", "CallCtlTermConnDroppedEv@1001", "ConnDisconnectedEv@1001", "CallCtlConnDisconnectedEv@1001", "CallInvalidEv@",
    ]);
  });

  it("addParty offers the call to one more party; the others stay; a bad destination changes nothing", () => {
    const cluster = s.cluster("site-a");
    const call = cluster.originate("1001", "1002", "cti");
    cluster.answer(call.id, "1002");
    const a = record(s, "site-a");
    expect(() => cluster.addParty(call.id, "1002", "7777")).toThrow(/unallocated/);
    expect(() => cluster.addParty(call.id, "1002", "1001")).toThrow(/already a party/);
    expect(a.trail()).toEqual([]);
    cluster.addParty(call.id, "1002", "1003");
    expect(a.trail()).toEqual(RINGING_1002.map((e) => e.replace("1002", "1003")));
    cluster.answer(call.id, "1003");
    expect(cluster.describe("1003")).toMatchObject({ calls: [{ callId: call.id, state: "ESTABLISHED", parties: [{ address: "1001", state: "ESTABLISHED" }, { address: "1002", state: "ESTABLISHED" }] }] });
  });
});

describe("calls that move on", () => {
  it("refuses to send a call that came over the trunk over the trunk again, and leaves it ringing", () => {
    s.cluster("site-b").originate("2001", "1002", "cti");
    const inbound = s.cluster("site-a").callsOf("1002")[0]!;
    expect(() => s.cluster("site-a").redirect(inbound.id, "1002", "2003")).toThrow(/over the trunk again/);
    expect(() => s.cluster("site-a").redirect(inbound.id, "1002", "7777")).toThrow(/unallocated/);
    expect(s.cluster("site-a").describe("1002")).toMatchObject({ calls: [{ state: "ALERTING" }] });
  });
});
