// The Java JTAPI bridge against a fake Cisco provider that fires Cisco's documented sequences: every
// frame it emits must pass the link agent's own zod schemas (a cross-language contract), the events come
// in JTAPI's order after the response of the request that caused them, and errors carry the JTAPI
// exception with Cisco's CTI error code.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import { BridgeConnection, buildBridge, type RunningBridge, startBridge } from "./helpers/jtapi-bridge.js";

let bridge: RunningBridge;
const open: BridgeConnection[] = [];

beforeAll(() => buildBridge(), 180_000);
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => { await bridge?.stop(); });

async function connected(b: RunningBridge): Promise<BridgeConnection> {
  const c = await BridgeConnection.open(b.port);
  open.push(c);
  expect(await c.hello()).toMatchObject({ type: "welcome", protocol: 1, cluster: "fakecluster", provider: "IN_SERVICE" });
  const snap = await c.request({ op: "snapshot" });
  expect(snap.ok).toBe(true);
  // the first snapshot registers the CTI ports and route points: their in-service events come after it, before any step of a test
  for (const a of Snapshot.parse(snap.result).addresses.filter((x) => !x.inService)) {
    await c.waitForEvent(0, (e) => e.id === "CiscoAddrInServiceEv" && e.address === a.address, `${a.address} in service`);
  }
  return c;
}

/** Events as [id, address, cause] for exact comparisons of order. */
const trail = (events: any[]) => events.map((e) => [e.id, e.address ?? null, e.cause]);

/** Every frame so far passed SwitchToAgent, and every event the stricter per-event schema. */
function expectValid(c: BridgeConnection): void {
  expect(c.invalid).toEqual([]);
  for (const e of c.eventsAfter(0)) expect(JtapiEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
}

const drop = (dn: string, cause = 100) => [["TermConnDroppedEv", dn, cause], ["CallCtlTermConnDroppedEv", dn, cause], ["ConnDisconnectedEv", dn, cause], ["CallCtlConnDisconnectedEv", dn, cause]];

describe("JTAPI bridge against a fake Cisco provider", () => {
  beforeAll(async () => { bridge = await startBridge({}, { FAKE_JTAPI_PASSWORD: "secret" }); }, 60_000);

  it("welcomes a hello and answers the snapshot with every device, CTI ports and route points registered", async () => {
    const c = await BridgeConnection.open(bridge.port);
    open.push(c);
    await c.hello();
    const snap = await c.request({ op: "snapshot" });
    const parsed = Snapshot.parse(snap.result);
    expect(parsed.addresses.map((a) => [a.address, a.terminal, a.kind])).toEqual([
      ["1001", "SEP0000000A1001", "phone"], ["1002", "SEP0000000A1002", "phone"], ["1003", "SEP0000000A1003", "phone"],
      ["1004", "SEP0000000A1004", "phone"], ["1901", "CTIP1901", "ctiPort"], ["1902", "CTIP1902", "ctiPort"], ["1500", "CTIRP1500", "routePoint"],
      ["1801", "CTIRD1801", "remoteTerminal"], ["1802", "CTIRD1802", "remoteTerminal"],
    ]);
    // an unregistered CTI port or route point is out of service; the snapshot registered them, and each comes in
    // service as Cisco's sample waits for it: CiscoTermInServiceEv, then CiscoAddrInServiceEv, after the response
    for (const dn of ["1901", "1902", "1500"]) await c.waitForEvent(0, (e) => e.id === "CiscoAddrInServiceEv" && e.address === dn, `${dn} in service`);
    expect(c.frames.findIndex((f) => f.type === "response")).toBeLessThan(c.frames.findIndex((f) => f.type === "events"));
    expect(c.eventsAfter(0).map((e) => [e.id, e.address ?? null, e.terminal])).toEqual([
      ["CiscoTermInServiceEv", null, "CTIP1901"], ["CiscoAddrInServiceEv", "1901", "CTIP1901"],
      ["CiscoTermInServiceEv", null, "CTIP1902"], ["CiscoAddrInServiceEv", "1902", "CTIP1902"],
      ["CiscoTermInServiceEv", null, "CTIRP1500"], ["CiscoAddrInServiceEv", "1500", "CTIRP1500"],
    ]);
    const again = Snapshot.parse((await c.request({ op: "snapshot" })).result);
    expect(again.addresses.every((a) => a.inService && a.terminalInService)).toBe(true);
    // offered calls at the CTI ports are accepted at once (setAutoAcceptStatus(AUTOACCEPT_ON), once in service)
    expect(await bridge.control("autoaccept 1901")).toBe("ok 1");
    expect(await bridge.control("autoaccept 1902")).toBe("ok 1");
    expect(snap.result.addresses.find((a: any) => a.address === "1801").remoteDestinations).toEqual([{ number: "0611000001", name: "mobile-1801", active: true }]);
    expect(parsed.calls).toEqual([]);
    expectValid(c);
  });

  it("basic call: makeCall's response comes first, then Cisco's events in order; answer; the hang-up clears the call", async () => {
    const c = await connected(bridge);
    const mark = c.frames.length;
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    // <CiscoProvider.getClusterID()>-<CiscoCallID.getCallManagerID()>-<getGlobalCallID()>
    expect(made).toMatchObject({ ok: true, result: { callId: expect.stringMatching(/^fakecluster-1-\d+$/) } });
    const callId = made.result.callId;
    await c.waitForEvent(mark, (e) => e.id === "CallCtlTermConnRingingEv", "ringing at 1002");
    // the response precedes every event the request caused
    expect(c.frames.slice(mark).findIndex((f) => f.type === "response")).toBe(0);
    const events = c.eventsAfter(mark).filter((e) => e.callId === callId);
    expect(trail(events)).toEqual([
      ["CallActiveEv", null, 100], ["ConnCreatedEv", "1001", 100], ["ConnConnectedEv", "1001", 100], ["CallCtlConnInitiatedEv", "1001", 100],
      ["TermConnCreatedEv", "1001", 100], ["TermConnActiveEv", "1001", 100], ["CallCtlTermConnTalkingEv", "1001", 100],
      ["CallCtlConnDialingEv", "1001", 100], ["CallCtlConnEstablishedEv", "1001", 100],
      ["ConnCreatedEv", "1002", 100], ["ConnInProgressEv", "1002", 100], ["CallCtlConnOfferedEv", "1002", 100], ["ConnAlertingEv", "1002", 100],
      ["CallCtlConnAlertingEv", "1002", 100], ["TermConnCreatedEv", "1002", 100], ["TermConnRingingEv", "1002", 100], ["CallCtlTermConnRingingEv", "1002", 100],
    ]);
    for (const e of events) expect(e).toMatchObject({ callId, callingAddress: "1001", calledAddress: "1002" });
    expect(events.find((e) => e.id === "TermConnRingingEv")).toMatchObject({ terminal: "SEP0000000A1002" });

    const beforeAnswer = c.frames.length;
    expect(await c.request({ op: "answer", callId, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv", "talking at 1002");
    expect(trail(c.eventsAfter(beforeAnswer))).toEqual([
      ["ConnConnectedEv", "1002", 100], ["CallCtlConnEstablishedEv", "1002", 100], ["TermConnActiveEv", "1002", 100], ["CallCtlTermConnTalkingEv", "1002", 100],
    ]);

    const beforeHold = c.frames.length;
    expect(await c.request({ op: "hold", callId, address: "1001" })).toMatchObject({ ok: true });
    expect(await c.request({ op: "unhold", callId, address: "1001" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeHold, (e) => e.id === "CallCtlTermConnTalkingEv", "retrieved");
    expect(trail(c.eventsAfter(beforeHold))).toEqual([["CallCtlTermConnHeldEv", "1001", 100], ["CallCtlTermConnTalkingEv", "1001", 214]]);

    const beforeRelease = c.frames.length;
    expect(await c.request({ op: "disconnect", callId, address: "1001" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeRelease, (e) => e.id === "CallInvalidEv", "CallInvalidEv");
    expect(trail(c.eventsAfter(beforeRelease))).toEqual([...drop("1001"), ...drop("1002"), ["CallInvalidEv", null, 100]]);
    // the call is gone: its id no longer resolves
    expect(await c.request({ op: "answer", callId, address: "1002" })).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException" } });
    expectValid(c);
  });

  it("addParty offers the call to one more party (CallControlCall.addParty); dropCall clears it for everyone (CallControlCall.drop)", async () => {
    const c = await connected(bridge);
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    const callId = made.result.callId;
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === callId, "ringing");
    // JTAPI's precondition: two ESTABLISHED connections
    expect(await c.request({ op: "addParty", callId, address: "1001", destination: "1003" })).toMatchObject({ ok: false, error: { exception: "InvalidStateException" } });
    const beforeAnswer = c.frames.length;
    await c.request({ op: "answer", callId, address: "1002" });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1002", "1002 talking");

    const mark = c.frames.length;
    expect(await c.request({ op: "addParty", callId, address: "1001", destination: "1003" })).toMatchObject({ ok: true });
    await c.waitForEvent(mark, (e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1003", "ringing at 1003");
    expect(c.frames.slice(mark).findIndex((f) => f.type === "response")).toBe(0);
    // the same call rings at the new party; nobody else's connection changes
    expect(c.eventsAfter(mark).map((e) => [e.id, e.callId === callId, e.address ?? null])).toEqual([
      ["ConnCreatedEv", true, "1003"], ["ConnInProgressEv", true, "1003"], ["CallCtlConnOfferedEv", true, "1003"], ["ConnAlertingEv", true, "1003"],
      ["CallCtlConnAlertingEv", true, "1003"], ["TermConnCreatedEv", true, "1003"], ["TermConnRingingEv", true, "1003"], ["CallCtlTermConnRingingEv", true, "1003"],
    ]);
    // refused before anything changes: already a party, an unallocated number, a requester not in the call
    expect(await c.request({ op: "addParty", callId, address: "1001", destination: "1003" })).toMatchObject({ ok: false, error: { exception: "InvalidPartyException", errorCode: -1932787470 } });
    expect(await c.request({ op: "addParty", callId, address: "1001", destination: "4999" })).toMatchObject({ ok: false, error: { exception: "InvalidPartyException" } });
    expect(await c.request({ op: "dropCall", callId, address: "1004" })).toMatchObject({ ok: false, error: { exception: "InvalidStateException", message: "1004 has no connection in the call" } });

    const beforeDrop = c.frames.length;
    expect(await c.request({ op: "dropCall", callId, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeDrop, (e) => e.id === "CallInvalidEv", "CallInvalidEv");
    expect(trail(c.eventsAfter(beforeDrop))).toEqual([...drop("1001"), ...drop("1002"), ...drop("1003"), ["CallInvalidEv", null, 100]]);
    expect(await c.request({ op: "dropCall", callId, address: "1002" })).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException", message: `unknown call ${callId}` } });
    expectValid(c);
  });

  it("consult transfer in JDG Table 8's order: the bracket, the controller leaves, the consulted party joins, the consult call clears; META_CALL_TRANSFERRING on every move", async () => {
    const c = await connected(bridge);
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    const original = made.result.callId;
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === original, "ringing");
    const beforeFirstAnswer = c.frames.length;
    await c.request({ op: "answer", callId: original, address: "1002" });
    await c.waitForEvent(beforeFirstAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1002", "1002 talking");
    const mark = c.frames.length;
    const consult = await c.request({ op: "consult", callId: original, address: "1002", destination: "1003" });
    expect(consult.ok).toBe(true);
    const consultId = consult.result.callId;
    expect(consultId).not.toBe(original);
    await c.waitForEvent(mark, (e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1003", "ringing at 1003");
    const consultEvents = c.eventsAfter(mark);
    expect(consultEvents[0]).toMatchObject({ id: "CallCtlTermConnHeldEv", callId: original, address: "1002" });
    // the consult call's CallActiveEv is Cisco's CiscoConsultCallActiveEv: still CallActiveEv on the link
    expect(consultEvents[1]).toMatchObject({ id: "CallActiveEv", callId: consultId, callingAddress: "1002", calledAddress: "1003" });
    const beforeAnswer = c.frames.length;
    await c.request({ op: "answer", callId: consultId, address: "1003" });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1003", "1003 talking");

    const before = c.frames.length;
    expect(await c.request({ op: "transfer", callId: original, consultCallId: consultId, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(before, (e) => e.id === "CiscoTransferEndEv", "CiscoTransferEndEv");
    const events = c.eventsAfter(before);
    // call-control events carry CAUSE_TRANSFER, core events Ev.getCause() only (docs/switch-link.md "Events")
    const x = (dn: string) => [["TermConnDroppedEv", dn, 100], ["CallCtlTermConnDroppedEv", dn, 212], ["ConnDisconnectedEv", dn, 100], ["CallCtlConnDisconnectedEv", dn, 212]];
    expect(events.map((e) => [e.id, e.callId === original ? "final" : e.callId === consultId ? "consult" : e.callId, e.address ?? null, e.cause])).toEqual([
      ["CiscoTransferStartEv", "final", "1002", 100],
      ...x("1002").map(([id, a, k]) => [id, "final", a, k]),
      ["ConnCreatedEv", "final", "1003", 100], ["ConnConnectedEv", "final", "1003", 100], ["CallCtlConnEstablishedEv", "final", "1003", 212],
      ["TermConnCreatedEv", "final", "1003", 100], ["TermConnActiveEv", "final", "1003", 100], ["CallCtlTermConnTalkingEv", "final", "1003", 212],
      ...x("1002").map(([id, a, k]) => [id, "consult", a, k]),
      ...x("1003").map(([id, a, k]) => [id, "consult", a, k]),
      ["CallInvalidEv", "consult", null, 100],
      ["CiscoTransferEndEv", "final", "1002", 100],
    ]);
    // every move carries Ev.META_CALL_TRANSFERRING, which the agent's merge logic keys on
    expect(events.map((e) => e.metaCode)).toEqual(events.map(() => 134));
    expect(events[0]).toMatchObject({ transferredCallId: consultId });
    expect(events.at(-1)).toMatchObject({ transferredCallId: consultId });
    // the transferred call goes on between 1001 and 1003 under the original id
    const snap = Snapshot.parse((await c.request({ op: "snapshot" })).result);
    expect(snap.calls.find((k) => k.callId === original)?.connections.map((x) => [x.address, x.state, x.terminalState])).toEqual([
      ["1001", "ESTABLISHED", "TALKING"], ["1003", "ESTABLISHED", "TALKING"],
    ]);
    await c.request({ op: "disconnect", callId: original, address: "1003" });
    expectValid(c);
  });

  /** 1001 calls 1002, 1002 answers and consults 1003, who answers: [original, consult]. */
  async function consulted(c: BridgeConnection, conference = false): Promise<[string, string]> {
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    const original = made.result.callId;
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === original, "ringing");
    const beforeAnswer = c.frames.length;
    await c.request({ op: "answer", callId: original, address: "1002" });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1002", "1002 talking");
    const beforeConsult = c.frames.length;
    const consult = (await c.request({ op: "consult", callId: original, address: "1002", destination: "1003", ...(conference ? { conference } : {}) })).result.callId;
    await c.waitForEvent(beforeConsult, (e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1003", "ringing at 1003");
    const beforeConsultAnswer = c.frames.length;
    await c.request({ op: "answer", callId: consult, address: "1003" });
    await c.waitForEvent(beforeConsultAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1003", "1003 talking");
    return [original, consult];
  }

  it("conference (Call1.conference(Call2)): the bracket, the controller talks again, the consulted party joins, the consult call clears; dropParty then drops one party", async () => {
    const c = await connected(bridge);
    const enabled = () => bridge.stderr.filter((l) => l.includes("fake JTAPI: setConferenceEnable(true)")).length;
    const enabledBefore = enabled();
    const [original, consult] = await consulted(c, true);
    // a conference's consult is set up as one: setConferenceEnable(true) on the new call before consult
    expect(enabled()).toBe(enabledBefore + 1);
    const before = c.frames.length;
    expect(await c.request({ op: "conference", callId: original, consultCallId: consult, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(before, (e) => e.id === "CiscoConferenceEndEv", "CiscoConferenceEndEv");
    const events = c.eventsAfter(before);
    const x = (dn: string) => [["TermConnDroppedEv", dn, 100], ["CallCtlTermConnDroppedEv", dn, 207], ["ConnDisconnectedEv", dn, 100], ["CallCtlConnDisconnectedEv", dn, 207]];
    expect(events.map((e) => [e.id, e.callId === original ? "final" : e.callId === consult ? "consult" : e.callId, e.address ?? null, e.cause])).toEqual([
      ["CiscoConferenceStartEv", "final", "1002", 100],
      ["CallCtlTermConnTalkingEv", "final", "1002", 207],
      ["ConnCreatedEv", "final", "1003", 100], ["ConnConnectedEv", "final", "1003", 100], ["CallCtlConnEstablishedEv", "final", "1003", 207],
      ["TermConnCreatedEv", "final", "1003", 100], ["TermConnActiveEv", "final", "1003", 100], ["CallCtlTermConnTalkingEv", "final", "1003", 207],
      ...x("1002").map(([id, a, k]) => [id, "consult", a, k]),
      ...x("1003").map(([id, a, k]) => [id, "consult", a, k]),
      ["CallInvalidEv", "consult", null, 100],
      ["CiscoConferenceEndEv", "final", "1002", 100],
    ]);
    expect(events.map((e) => e.metaCode)).toEqual(events.map(() => 133));
    expect(events[0]).toMatchObject({ transferredCallId: consult });
    expect(events.at(-1)).toMatchObject({ transferredCallId: consult });
    let snap = Snapshot.parse((await c.request({ op: "snapshot" })).result);
    expect(snap.calls.find((k) => k.callId === original)?.connections.map((x) => [x.address, x.terminalState])).toEqual([["1001", "TALKING"], ["1002", "TALKING"], ["1003", "TALKING"]]);

    // the controller drops 1003 (its Connection.disconnect(), DropAnyPartyEnabled): the call goes on, no CallInvalidEv
    const beforeDrop = c.frames.length;
    expect(await c.request({ op: "dropParty", callId: original, address: "1002", party: "1003" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeDrop, (e) => e.id === "CallCtlConnDisconnectedEv", "1003 dropped");
    expect(trail(c.eventsAfter(beforeDrop))).toEqual(drop("1003"));
    snap = Snapshot.parse((await c.request({ op: "snapshot" })).result);
    expect(snap.calls.find((k) => k.callId === original)?.connections.map((x) => x.address)).toEqual(["1001", "1002"]);
    await c.request({ op: "disconnect", callId: original, address: "1001" });
    expectValid(c);
  });

  it("alternate (hold one, retrieve the other) and reconnect (leave the consult call, retrieve the held one)", async () => {
    const c = await connected(bridge);
    const enabledBefore = bridge.stderr.filter((l) => l.includes("fake JTAPI: setConferenceEnable")).length;
    const [original, consult] = await consulted(c);
    // a transfer's consult (no conference flag) leaves Cisco's default: set up as a transfer
    expect(bridge.stderr.filter((l) => l.includes("fake JTAPI: setConferenceEnable")).length).toBe(enabledBefore);
    const who = (e: any) => [e.id, e.callId === original ? "original" : e.callId === consult ? "consult" : e.callId, e.address ?? null, e.cause];
    const beforeAlternate = c.frames.length;
    expect(await c.request({ op: "alternate", callId: original, activeCallId: consult, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeAlternate, (e) => e.id === "CallCtlTermConnTalkingEv", "original retrieved");
    expect(c.eventsAfter(beforeAlternate).map(who)).toEqual([["CallCtlTermConnHeldEv", "consult", "1002", 100], ["CallCtlTermConnTalkingEv", "original", "1002", 214]]);
    // the consult call is the held one now: reconnect leaves the original call (two parties: it clears) and retrieves it
    const beforeReconnect = c.frames.length;
    expect(await c.request({ op: "reconnect", callId: consult, consultCallId: original, address: "1002" })).toMatchObject({ ok: true });
    await c.waitForEvent(beforeReconnect, (e) => e.id === "CallCtlTermConnTalkingEv", "consult retrieved");
    expect(c.eventsAfter(beforeReconnect).map(who)).toEqual([
      ...drop("1002").map(([id, a, k]) => [id, "original", a, k]), ...drop("1001").map(([id, a, k]) => [id, "original", a, k]), ["CallInvalidEv", "original", null, 100],
      ["CallCtlTermConnTalkingEv", "consult", "1002", 214],
    ]);
    // reconnect needs a held call
    expect(await c.request({ op: "reconnect", callId: consult, consultCallId: consult, address: "1002" })).toMatchObject({ ok: false, error: { exception: "InvalidStateException" } });
    await c.request({ op: "disconnect", callId: consult, address: "1003" });
    expectValid(c);
  });

  it("single-step transfer (CallControlCall.transfer(String)): a refused destination changes nothing; else no bracket, the controller drops, the destination is offered the same call", async () => {
    const c = await connected(bridge);
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    const callId = made.result.callId;
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === callId, "ringing");
    const beforeAnswer = c.frames.length;
    await c.request({ op: "answer", callId, address: "1002" });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1002", "1002 talking");
    const refused = c.frames.length;
    expect(await c.request({ op: "singleStepTransfer", callId, address: "1002", destination: "4999" })).toMatchObject({ ok: false, error: { exception: "InvalidPartyException", errorCode: -1932787470 } });
    const before = c.frames.length;
    expect(c.eventsAfter(refused)).toEqual([]);
    expect(await c.request({ op: "singleStepTransfer", callId, address: "1002", destination: "1003" })).toMatchObject({ ok: true });
    await c.waitForEvent(before, (e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1003", "ringing at 1003");
    const events = c.eventsAfter(before);
    expect(events.every((e) => e.callId === callId)).toBe(true);
    expect(trail(events)).toEqual([
      ...drop("1002"),
      ["ConnCreatedEv", "1003", 100], ["ConnInProgressEv", "1003", 100], ["CallCtlConnOfferedEv", "1003", 100], ["ConnAlertingEv", "1003", 100],
      ["CallCtlConnAlertingEv", "1003", 100], ["TermConnCreatedEv", "1003", 100], ["TermConnRingingEv", "1003", 100], ["CallCtlTermConnRingingEv", "1003", 100],
    ]);
    expect(events.at(-1)).toMatchObject({ callingAddress: "1001", calledAddress: "1003", lastRedirectedAddress: "1002" });
    expect(await bridge.control("hangup 1001")).toBe("ok");
    expectValid(c);
  });

  it("silent monitoring: startMonitor on a new idle call, the monitor call in JDG MSC p.1593's order, then the agent's call hears of it", async () => {
    const c = await connected(bridge);
    const made = await c.request({ op: "makeCall", from: "1001", to: "1002" });
    const gc1 = made.result.callId;
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === gc1, "ringing");
    // not yet talking: Cisco's precondition fails
    expect(await c.request({ op: "startMonitor", callId: gc1, address: "1002", monitor: "1901" })).toMatchObject({
      ok: false, error: { exception: "InvalidStateException", message: "the monitored terminal connection is not TALKING" },
    });
    const beforeAnswer = c.frames.length;
    await c.request({ op: "answer", callId: gc1, address: "1002" });
    await c.waitForEvent(beforeAnswer, (e) => e.id === "CallCtlTermConnTalkingEv" && e.address === "1002", "1002 talking");
    const mark = c.frames.length;
    const started = await c.request({ op: "startMonitor", callId: gc1, address: "1002", monitor: "1901", monitorType: 1, tone: 3 });
    expect(started).toMatchObject({ ok: true, result: { callId: expect.any(String) } });
    const gc2 = started.result.callId;
    expect(gc2).not.toBe(gc1);
    await c.waitForEvent(mark, (e) => e.id === "CiscoTermConnMonitorInitiatorInfoEv", "the initiator info");
    const events = c.eventsAfter(mark).filter((e) => e.callId === gc1 || e.callId === gc2);
    expect(events.map((e) => [e.id, e.callId === gc1 ? "gc1" : "gc2", e.address ?? null, e.addressType ?? null])).toEqual([
      ["CallActiveEv", "gc2", null, null], ["ConnCreatedEv", "gc2", "1901", 1], ["ConnConnectedEv", "gc2", "1901", 1], ["CallCtlConnInitiatedEv", "gc2", "1901", 1],
      ["TermConnCreatedEv", "gc2", "1901", null], ["TermConnActiveEv", "gc2", "1901", null], ["CallCtlTermConnTalkingEv", "gc2", "1901", null],
      ["CallCtlConnDialingEv", "gc2", "1901", 1], ["CallCtlConnEstablishedEv", "gc2", "1901", 1],
      ["ConnCreatedEv", "gc2", "1002", 5], ["ConnInProgressEv", "gc2", "1002", 5], ["CallCtlConnOfferedEv", "gc2", "1002", 5], ["ConnAlertingEv", "gc2", "1002", 5],
      ["CallCtlConnAlertingEv", "gc2", "1002", 5], ["ConnConnectedEv", "gc2", "1002", 5], ["CallCtlConnEstablishedEv", "gc2", "1002", 5],
      ["CiscoTermConnMonitorTargetInfoEv", "gc2", "1901", null],
      ["CiscoTermConnMonitoringStartEv", "gc1", "1002", null], ["CiscoTermConnMonitorInitiatorInfoEv", "gc1", "1002", null],
    ]);
    expect(events[0]).toMatchObject({ callingAddress: "1901", calledAddress: "1002" });
    expect(events.find((e) => e.id === "CiscoTermConnMonitorTargetInfoEv")).toMatchObject({ terminal: "CTIP1901", targetAddress: "1002", targetTerminal: "SEP0000000A1002" });
    expect(events.find((e) => e.id === "CiscoTermConnMonitoringStartEv")).toMatchObject({ terminal: "SEP0000000A1002", monitorType: 1, toneDirection: 3, monitorCallId: gc2 });
    expect(events.find((e) => e.id === "CiscoTermConnMonitorInitiatorInfoEv")).toMatchObject({ initiatorAddress: "1901", initiatorTerminal: "CTIP1901", initiatorAddressType: 1 });
    // a snapshot marks the agent's leg of the monitor call
    const snap = Snapshot.parse((await c.request({ op: "snapshot" })).result);
    expect(snap.calls.find((k) => k.callId === gc2)?.connections).toEqual([
      { address: "1901", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "1002", state: "ESTABLISHED", addressType: 5 },
    ]);
    expectValid(c);
  });

  it("carries errors as the JTAPI exception with Cisco's CTI error code", async () => {
    const c = await connected(bridge);
    const made = await c.request({ op: "makeCall", from: "1001", to: "1004" });
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === made.result.callId, "ringing");
    // hold a ringing terminal connection: the fake throws as Cisco's CallImpl does, with a CTI code
    expect(await c.request({ op: "hold", callId: made.result.callId, address: "1004" })).toEqual({
      type: "response", id: expect.any(Number), ok: false,
      error: { exception: "InvalidStateException", message: "terminal connection is not TALKING", errorCode: -1932787617, errorName: "TEST_INVALID_STATE" },
    });
    expect(await c.request({ op: "makeCall", from: "1002", to: "4999" })).toMatchObject({
      ok: false, error: { exception: "InvalidPartyException", errorCode: -1932787470 },
    });
    expect(await c.request({ op: "makeCall", from: "7777", to: "1002" })).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException" } });
    expect(await c.request({ op: "answer", callId: "no-such-call", address: "1002" })).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException", message: "unknown call no-such-call" } });
    expect(await c.request({ op: "conference", callId: made.result.callId, consultCallId: made.result.callId, address: "1001" })).toMatchObject({
      ok: false, error: { exception: "InvalidStateException", message: "a call cannot be merged with itself" },
    });
    await c.request({ op: "disconnect", callId: made.result.callId, address: "1001" });
    // a CTI remote device's call is answered at the mobile, not through CTI
    const remote = await c.request({ op: "makeCall", from: "1002", to: "1801" });
    await c.waitForEvent(0, (e) => e.id === "CallCtlTermConnRingingEv" && e.callId === remote.result.callId, "ringing at 1801");
    expect(await c.request({ op: "answer", callId: remote.result.callId, address: "1801" })).toMatchObject({
      ok: false, error: { exception: "MethodNotSupportedException", message: "answer is not supported on a CTI remote device" },
    });
    await c.request({ op: "disconnect", callId: remote.result.callId, address: "1002" });
    expectValid(c);
  });

  it("routes a call at a route point with redirect on its connection: RouteEvent, a refused destination leaves the call, then it rings at the destination", async () => {
    const c = await connected(bridge);
    const mark = c.frames.length;
    expect(await bridge.control("dial 1001 1500")).toBe("ok");
    await c.waitForEvent(mark, (e) => e.id === "RouteEvent", "RouteEvent");
    const route = c.eventsAfter(mark).find((e) => e.id === "RouteEvent");
    expect(route).toMatchObject({ address: "1500", callingAddress: "1001", calledAddress: "1500", cause: 100 });
    expect(trail(c.eventsAfter(mark).filter((e) => e.callId === route.callId && e.address === "1500"))).toEqual([
      ["ConnCreatedEv", "1500", 100], ["ConnInProgressEv", "1500", 100], ["CallCtlConnOfferedEv", "1500", 100], ["RouteEvent", "1500", 100],
    ]);
    // Cisco's redirect with REDIRECT_DROP_ON_FAILURE: a bad destination fails at once, with the CTI code, and the call stays offered
    expect(await c.request({ op: "redirect", callId: route.callId, address: "1500", destination: "4999" })).toMatchObject({
      ok: false, error: { exception: "InvalidPartyException", errorCode: -1932787470 },
    });
    const before = c.frames.length;
    expect(await c.request({ op: "redirect", callId: route.callId, address: "1500", destination: "1004" })).toMatchObject({ ok: true });
    await c.waitForEvent(before, (e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1004", "ringing at 1004");
    const events = c.eventsAfter(before).filter((e) => e.callId === route.callId);
    expect(trail(events).slice(0, 3)).toEqual([["ConnDisconnectedEv", "1500", 100], ["CallCtlConnDisconnectedEv", "1500", 210], ["RouteEndEvent", "1500", 100]]);
    expect(trail(events).slice(3).map(([id, a]) => [id, a])).toEqual([
      ["ConnCreatedEv", "1004"], ["ConnInProgressEv", "1004"], ["CallCtlConnOfferedEv", "1004"], ["ConnAlertingEv", "1004"], ["CallCtlConnAlertingEv", "1004"],
      ["TermConnCreatedEv", "1004"], ["TermConnRingingEv", "1004"], ["CallCtlTermConnRingingEv", "1004"],
    ]);
    expect(events.find((e) => e.id === "CallCtlTermConnRingingEv")).toMatchObject({ lastRedirectedAddress: "1500", calledAddress: "1004" });
    expect(await bridge.control("hangup 1001")).toBe("ok");
    expectValid(c);
  });

  it("sets a remote destination through CiscoRemoteTerminal and relays CiscoProvTerminalRemoteDestinationChangedEv", async () => {
    const c = await connected(bridge);
    const mark = c.frames.length;
    // the result is the terminal's destinations now (getAllRemoteDestinations, isMyAppLastToSetActiveRD)
    expect(await c.request({ op: "setRemoteDestination", address: "1802", number: "0611000099", name: "desk-mobile", active: true })).toMatchObject({
      ok: true, result: { myAppLastToSetActiveRD: true, remoteDestinations: [{ number: "0611000002", name: "mobile-1802", active: true }, { number: "0611000099", name: "desk-mobile", active: true }] },
    });
    await c.waitForEvent(mark, (e) => e.id === "CiscoProvTerminalRemoteDestinationChangedEv", "remote destination event");
    expect(c.eventsAfter(mark).find((e) => e.id === "CiscoProvTerminalRemoteDestinationChangedEv")).toMatchObject({
      address: "1802", terminal: "CTIRD1802", myAppLastToSetActiveRD: true,
      remoteDestinations: [{ number: "0611000002", name: "mobile-1802", active: true }, { number: "0611000099", name: "desk-mobile", active: true }],
    });
    expect(await c.request({ op: "setRemoteDestination", address: "1001", number: "0611000099", active: true })).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException" } });
    expectValid(c);
  });

  it("relays device service events with the out-of-service cause", async () => {
    const c = await connected(bridge);
    const mark = c.frames.length;
    expect(await bridge.control("device-oos 1003")).toBe("ok");
    expect(await bridge.control("device-is 1003")).toBe("ok");
    await c.waitForEvent(mark, (e) => e.id === "CiscoAddrInServiceEv", "back in service");
    expect(c.eventsAfter(mark).filter((e) => e.terminal === "SEP0000000A1003").map((e) => [e.id, e.address ?? null, e.terminal, e.oosCause ?? null])).toEqual([
      ["CiscoTermOutOfServiceEv", null, "SEP0000000A1003", 1005], ["CiscoAddrOutOfServiceEv", "1003", "SEP0000000A1003", 1005],
      ["CiscoTermInServiceEv", null, "SEP0000000A1003", null], ["CiscoAddrInServiceEv", "1003", "SEP0000000A1003", null],
    ]);
    expectValid(c);
  });

  it("drops the link on ProvOutOfServiceEv and welcomes the agent again once ProvInServiceEv has come", async () => {
    const c = await connected(bridge);
    expect(await bridge.control("oos")).toBe("ok");
    await c.waitClosed();
    const early = await BridgeConnection.open(bridge.port);
    open.push(early);
    // out of service: the hello waits for ProvInServiceEv
    early.send({ type: "hello", protocol: 1, user: "tserver", password: "secret", application: "t", link: "link-1" });
    await new Promise((r) => setTimeout(r, 300));
    expect(early.frames).toEqual([]);
    expect(await bridge.control("inservice")).toBe("ok");
    expect(await early.waitFor((f) => f.type === "welcome", "welcome after ProvInServiceEv")).toMatchObject({ provider: "IN_SERVICE" });
    expect((await early.request({ op: "snapshot" })).ok).toBe(true);
  });

  it("refuses a wrong password for the open provider, a hello-less request, and an oversize frame", async () => {
    const wrong = await BridgeConnection.open(bridge.port);
    open.push(wrong);
    expect(await wrong.hello("not-the-password")).toEqual({ type: "error", message: "authentication failed: credentials differ from those of the link's open provider" });
    await wrong.waitClosed();

    const early = await BridgeConnection.open(bridge.port);
    open.push(early);
    early.send({ type: "request", id: 1, op: "snapshot" });
    expect(await early.waitFor((f) => f.type === "error", "error")).toEqual({ type: "error", message: "expected hello" });
    await early.waitClosed();

    const big = await BridgeConnection.open(bridge.port);
    open.push(big);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2 * 1024 * 1024);
    big.socket.write(header);
    expect(await big.waitFor((f) => f.type === "error", "error")).toEqual({ type: "error", message: "frame of 2097152 bytes is larger than 1048576" });
    await big.waitClosed();
    // and the bridge still serves
    await connected(bridge);
  });
});

describe("JTAPI bridge start-up", () => {
  it("refuses a bad login with JTAPI's PlatformException message and CTI code", async () => {
    const b = await startBridge({}, { FAKE_JTAPI_PASSWORD: "right" });
    try {
      const c = await BridgeConnection.open(b.port);
      open.push(c);
      expect(await c.hello("wrong")).toEqual({ type: "error", message: "authentication failed: Unable to create provider -- bad login or password. (CTI error -1932787709)" });
      await c.waitClosed();
      expect(c.invalid).toEqual([]);
    } finally {
      await b.stop();
    }
  }, 30_000);

  it("hands the link-tls options to CiscoJtapiProperties.setSecurityPropertyForInstance and the provider string, never logging a secret", async () => {
    const tls = { instanceId: "tserver-a-link-1", authCode: "auth-code-1234", tftpHost: "10.0.0.10", tftpPort: "69", capfHost: "10.0.0.11", capfPort: "3804", certPath: "/var/lib/tserver/jtapi", storePassphrase: "store-pass-5678" };
    const b = await startBridge({ tls });
    try {
      const c = await BridgeConnection.open(b.port);
      open.push(c);
      expect(await c.hello()).toMatchObject({ type: "welcome" });
      const logged = b.stderr.map((l) => JSON.parse(l));
      expect(logged.find((l) => l.msg === "fake JTAPI: setSecurityPropertyForInstance")).toMatchObject({
        user: "tserver", instanceId: "tserver-a-link-1", tftp: "10.0.0.10:69", capf: "10.0.0.11:3804", certPath: "/var/lib/tserver/jtapi",
        securityOption: true, authCodeLength: 14, passphraseLength: 15, fips: false,
      });
      expect(logged.find((l) => l.msg === "fake JTAPI: getProvider")).toMatchObject({
        ctiManagers: "cucm-pub,cucm-sub1", keys: "login,passwd,appinfo,InstanceID,TFTP,TFTPPort,CAPF,CAPFPort,CertPath,CertStorePassphrase",
      });
      const all = b.stderr.join("\n");
      for (const secret of ["auth-code-1234", "store-pass-5678", "secret"]) expect(all).not.toContain(secret);
    } finally {
      await b.stop();
    }
  }, 30_000);

  it("pages a snapshot larger than a page: response frames of one id, all but the last with more:true, joined in order", async () => {
    const b = await startBridge({}, { FAKE_JTAPI_EXTRA_PHONES: "6000" });
    try {
      const c = await BridgeConnection.open(b.port);
      open.push(c);
      await c.hello();
      c.send({ type: "request", id: 7, op: "snapshot" });
      await c.waitFor((f) => f.type === "response" && f.id === 7 && !f.more, "the last page");
      const pages = c.frames.filter((f) => f.type === "response" && f.id === 7);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.map((p) => p.more ?? false)).toEqual([...pages.slice(1).map(() => true), false]);
      for (const p of pages) expect(JSON.stringify(p).length).toBeLessThanOrEqual(1024 * 1024);
      const addresses = pages.flatMap((p) => Snapshot.parse(p.result).addresses.map((a) => a.address));
      expect(addresses).toHaveLength(9 + 6000);
      expect(addresses.slice(0, 2)).toEqual(["1001", "1002"]);
      expect(addresses.at(-1)).toBe("25999");
      expect(c.invalid).toEqual([]);
    } finally {
      await b.stop();
    }
  }, 60_000);

  it("names a call that was up before it started by the cluster's (CallManager id, global call id) alone, so a restarted bridge keeps its id", async () => {
    const env = { FAKE_JTAPI_CALL_IN_PROGRESS: "1003,1004,9123" };
    const expected = {
      callId: "fakecluster-1-9123", callingAddress: "1003", calledAddress: "1004",
      connections: [{ address: "1003", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "1004", state: "ESTABLISHED", terminalState: "TALKING" }],
    };
    for (const round of ["first bridge", "restarted bridge"]) {
      const b = await startBridge({}, env);
      try {
        const c = await BridgeConnection.open(b.port);
        open.push(c);
        await c.hello();
        const mark = c.frames.length;
        const snap = await c.request({ op: "snapshot" });
        expect(Snapshot.parse(snap.result).calls, round).toEqual([expected]);
        // the observer's CAUSE_SNAPSHOT replay of the call is not forwarded (the snapshot has it); its hang-up is
        expect(await b.control("hangup 1004")).toBe("ok");
        await c.waitForEvent(mark, (e) => e.id === "CallInvalidEv", "CallInvalidEv");
        // (the CTI ports' and route point's in-service events after their registration aside)
        expect(c.eventsAfter(mark).filter((e) => e.callId !== undefined).map((e) => [e.id, e.callId, e.address ?? null, e.cause])).toEqual([
          ...drop("1004").map(([id, a, k]) => [id, expected.callId, a, k]), ...drop("1003").map(([id, a, k]) => [id, expected.callId, a, k]),
          ["CallInvalidEv", expected.callId, null, 100],
        ]);
        expectValid(c);
      } finally {
        await b.stop();
      }
    }
  }, 60_000);

  it("exits with code 3 on ProvShutdownEv (the agent starts a new bridge), dropping the link first", async () => {
    const b = await startBridge();
    const c = await BridgeConnection.open(b.port);
    open.push(c);
    expect(await c.hello()).toMatchObject({ type: "welcome" });
    const exited = new Promise<number | null>((resolve) => b.proc.once("close", (code) => resolve(code)));
    expect(await b.control("shutdown")).toBe("ok");
    expect(await exited).toBe(3);
    await c.waitClosed();
    const msgs = b.stderr.map((l) => JSON.parse(l).msg);
    expect(msgs).toContain("provider shut down (ProvShutdownEv): exiting so that the link agent starts a new bridge");
    // the provider is already gone: no Provider.shutdown() of its own
    expect(msgs).not.toContain("fake JTAPI: Provider.shutdown()");
  }, 30_000);

  it("exits when its standard input closes (the link agent is gone), closing its provider first", async () => {
    const b = await startBridge();
    const c = await BridgeConnection.open(b.port);
    open.push(c);
    expect(await c.hello()).toMatchObject({ type: "welcome" });
    // "close": the process has exited and its standard error is read to the end
    const exited = new Promise<number | null>((resolve) => b.proc.once("close", (code) => resolve(code)));
    b.proc.stdin!.end();
    expect(await exited).toBe(0);
    const msgs = b.stderr.map((l) => JSON.parse(l).msg);
    expect(msgs).toContain("fake JTAPI: Provider.shutdown()");
    expect(msgs.indexOf("standard input closed: the link agent is gone, exiting")).toBeLessThan(msgs.indexOf("fake JTAPI: Provider.shutdown()"));
    await c.waitClosed();
  }, 30_000);
});
