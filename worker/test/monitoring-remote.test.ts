// Feature F2 in the control plane, against fake link agents on the real uplink: a CTI port's monitor
// call (role 10, the monitored call's connID), its single-step transfer to a supervisor of another site
// (the destination Dn's expectation, EventRemoteConnectionSuccess/Failed), the CTI port timer, and the
// refusals of jtapi-fidelity.md B.1 (4).
import { describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const SITE_A = [{ number: "1001" }, { number: "1002" }, { number: "1003" }, { number: "1901", switchSpecificType: 2 }, { number: "1902", switchSpecificType: 2 }];
const SITE_B = [{ number: "2003" }];
const phone = (dn: string) => ({ dn, kind: "phone" as const, inService: true, calls: [] });
const port = (dn: string) => ({ dn, kind: "ctiPort" as const, inService: true, calls: [] });

async function setUp(tenant: string) {
  const p = await provision(tenant, ["site-a", "site-b"], { "site-a": SITE_A, "site-b": SITE_B });
  const a = await FakeAgent.connect("site-a", p.link["site-a"]!);
  const b = await FakeAgent.connect("site-b", p.link["site-b"]!);
  await a.send({ kind: "snapshot", time: now(), dns: [phone("1001"), phone("1002"), phone("1003"), port("1901"), port("1902")] });
  await b.send({ kind: "snapshot", time: now(), dns: [phone("2003")] });
  const session = async (site: string, ...dns: string[]) => {
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    for (const thisDN of dns) expect((await api("POST", `/v1/sites/${site}/requests`, p.client, { sessionId, request: "RequestRegisterAddress", thisDN })).status).toBe(200);
    const stream = await EventStream.open(sessionId, p.client, 0);
    const request = (body: Record<string, unknown>) => api("POST", `/v1/sites/${site}/requests`, p.client, { sessionId, ...body });
    return { sessionId, stream, request };
  };
  return { p, a, b, session };
}

const named = (events: TEvent[], name: string, dn?: string) => events.filter((e) => e.event === name && (!dn || e.thisDN === dn));
const waitEvent = (s: EventStream, name: string, dn?: string) => until(() => named(s.events, name, dn)[0], `${name}${dn ? ` on ${dn}` : ""} (have ${s.events.map((e) => e.event).join(", ")})`);

/** 1001 calls the agent 1002, who answers: the armed monitor sends startMonitor, answered by the monitor call's events. */
async function monitoredCall(a: FakeAgent, monitor: string) {
  await a.send(
    { kind: "dialing", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
    { kind: "ringing", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
  );
  await a.send({ kind: "established", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 }, { kind: "established", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 });
  const start = await a.nextCommand();
  expect(start).toMatchObject({ op: "startMonitor", dn: "1002", callId: "c1", otherDN: monitor, monitorType: 1 });
  return start;
}

describe("F2: a CTI port's monitor call handed to a supervisor on another site", { timeout: 30_000 }, () => {
  it("runs the whole path with role 10, the monitored call's connID and the outcome events", async () => {
    const { a, b, session } = await setUp("f2-path");
    const sup = await session("site-a", "1901");
    const agent = await session("site-a", "1002");
    const remote = await session("site-b", "2003");

    const armed = await sup.request({ request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1002", monitorNextCallType: 0 });
    expect(armed.body.event).toMatchObject({ event: "EventMonitoringNextCall", thisDN: "1901", otherDN: "1002", monitorNextCallType: 0 });
    // the agent's clients hear of it too, without the requester's referenceID (PSDK)
    const told = await waitEvent(agent.stream, "EventMonitoringNextCall");
    expect(told).toMatchObject({ thisDN: "1901", otherDN: "1002", monitorNextCallType: 0 });
    expect(told.referenceID).toBeUndefined();

    const start = await monitoredCall(a, "1901");
    await a.send(
      { kind: "result", time: now(), dn: "1002", commandId: start.id, ok: true, callId: "m1" },
      { kind: "monitorStarted", time: now(), dn: "1901", callId: "m1", otherDN: "1002", monitoredCallId: "c1" },
      { kind: "observer", time: now(), dn: "1002", callId: "c1", otherDN: "1901", addressType: "internal", change: "added" },
    );
    const agentEstablished = await waitEvent(agent.stream, "EventEstablished", "1002");
    const C1 = agentEstablished.connID!;
    const portEstablished = await waitEvent(sup.stream, "EventEstablished", "1901");
    expect(portEstablished).toMatchObject({ connID: C1, thisDN: "1901", thisDNRole: 10, otherDN: "1002", otherDNRole: 2, callType: 1 });
    const added = await waitEvent(agent.stream, "EventPartyAdded", "1002");
    expect(added).toMatchObject({ connID: C1, thisDN: "1002", thisDNRole: 2, otherDN: "1901", otherDNRole: 10 });

    // step 3: single-step transfer to the supervisor 2003 of site-b, a remote observer
    const transfer = sup.request({ request: "RequestSingleStepTransfer", thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: { "GCTI-REMOTE-OBSERVE": "true" } });
    const cmd = await a.nextCommand();
    expect(cmd).toMatchObject({ op: "singleStepTransfer", dn: "1901", callId: "m1", otherDN: "2003" });
    await a.send({ kind: "result", time: now(), dn: "1901", commandId: cmd.id, ok: true }, { kind: "released", time: now(), dn: "1901", callId: "m1", cause: "normal" });
    const released = (await transfer).body.event;
    expect(released).toMatchObject({ event: "EventReleased", connID: C1, thisDN: "1901", thisDNRole: 10, otherDN: "1002", callState: 1, thirdPartyDN: "2003" });

    await b.send({ kind: "ringing", time: now(), dn: "2003", callId: "x2", otherDN: "1002", callType: 2 });
    const ringing = await waitEvent(remote.stream, "EventRinging", "2003");
    expect(ringing).toMatchObject({ thisDN: "2003", thisDNRole: 10, otherDN: "1002", otherDNRole: 1, callType: 2, extensions: { "GCTI-REMOTE-OBSERVE": "true" } });
    expect(ringing.connID).not.toBe(C1);
    const success = await waitEvent(sup.stream, "EventRemoteConnectionSuccess");
    expect(success).toMatchObject({ thisDN: "1901", otherDN: "2003", location: "site-b" });

    await b.send({ kind: "established", time: now(), dn: "2003", callId: "x2", otherDN: "1002", callType: 2 });
    expect(await waitEvent(remote.stream, "EventEstablished", "2003")).toMatchObject({ connID: ringing.connID, thisDNRole: 10, otherDN: "1002" });
    // a resync does not take role 10 away (B.0): the snapshot knows only 2 (and finds the call held meanwhile);
    // what it tells keeps role 10 and the extension, and so does the release after it
    await b.send({ kind: "snapshot", time: now(), dns: [{ dn: "2003", kind: "phone", inService: true, calls: [{ callId: "x2", phase: "held", otherDN: "1002", role: 2, callType: 2 }] }] });
    expect(await waitEvent(remote.stream, "EventHeld", "2003")).toMatchObject({ connID: ringing.connID, thisDNRole: 10, extensions: { "GCTI-REMOTE-OBSERVE": "true" } });
    await a.send({ kind: "observer", time: now(), dn: "1002", callId: "c1", otherDN: "2003", addressType: "external", change: "changed" });
    // the supervisor hangs up first: the agent hears the observer leave
    await b.send({ kind: "released", time: now(), dn: "2003", callId: "x2", cause: "normal" });
    await a.send({ kind: "observer", time: now(), dn: "1002", callId: "c1", otherDN: "2003", addressType: "external", change: "ended" });
    expect(await waitEvent(remote.stream, "EventReleased", "2003")).toMatchObject({ connID: ringing.connID, thisDNRole: 10, callState: 0 });
    expect(await waitEvent(agent.stream, "EventPartyDeleted", "1002")).toMatchObject({ connID: C1, otherDN: "2003", otherDNRole: 8 });

    expect(sup.stream.events.map((e) => e.event)).toEqual(["EventRegistered", "EventMonitoringNextCall", "EventEstablished", "EventReleased", "EventRemoteConnectionSuccess"]);
    expect(agent.stream.events.map((e) => e.event)).toEqual(["EventRegistered", "EventMonitoringNextCall", "EventRinging", "EventEstablished", "EventPartyAdded", "EventPartyDeleted"]);
    expect(remote.stream.events.map((e) => e.event)).toEqual(["EventRegistered", "EventRinging", "EventEstablished", "EventHeld", "EventReleased"]);
    for (const s of [sup, agent, remote]) await s.stream.close();
    await a.close();
    await b.close();
  });

  it("reports EventRemoteConnectionFailed 1013 when nothing arrives in the window, and releases a call left at a CTI port", async () => {
    const { p, a, b, session } = await setUp("f2-timeout");
    for (const site of ["site-a", "site-b"]) {
      expect((await api("PUT", `/v1/sites/${site}/options/TServer`, p.config, { "remote-observe-timeout": "1", "cti-port-release-timeout": "2" })).status).toBe(200);
    }
    const sup = await session("site-a", "1901");
    await sup.request({ request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1002" });
    const start = await monitoredCall(a, "1901");
    await a.send({ kind: "result", time: now(), dn: "1002", commandId: start.id, ok: true, callId: "m1" }, { kind: "monitorStarted", time: now(), dn: "1901", callId: "m1", otherDN: "1002", monitoredCallId: "c1" });
    const { connID } = await waitEvent(sup.stream, "EventEstablished", "1901");
    // the switch refuses the first transfer: the expectation is withdrawn, so a second one is not "pending" (42)
    const refused = sup.request({ request: "RequestSingleStepTransfer", thisDN: "1901", connID, otherDN: "2003", location: "site-b", extensions: { "GCTI-REMOTE-OBSERVE": true } });
    const first = await a.nextCommand();
    await a.send({ kind: "result", time: now(), dn: "1901", commandId: first.id, ok: false, errorCode: 231, errorMessage: "ResourceUnavailableException: busy" });
    expect((await refused).body.event).toMatchObject({ event: "EventError", errorCode: 231 });
    const transfer = sup.request({ request: "RequestSingleStepTransfer", thisDN: "1901", connID, otherDN: "2003", location: "site-b", extensions: { "GCTI-REMOTE-OBSERVE": true } });
    const cmd = await a.nextCommand();
    expect(cmd.op).toBe("singleStepTransfer");
    // the switch never answers: the monitor call stays at the CTI port, whose timer releases it
    const release = await until(() => a.received.find((m) => m.t === "command" && m.op === "release"), "the CTI port's release", 5000);
    expect(release).toMatchObject({ op: "release", dn: "1901", callId: "m1" });
    const failed = await waitEvent(sup.stream, "EventRemoteConnectionFailed");
    expect(failed).toMatchObject({ thisDN: "1901", otherDN: "2003", location: "site-b", errorCode: 1013 });
    await a.send({ kind: "result", time: now(), dn: "1901", commandId: cmd.id, ok: false, errorCode: 57, errorMessage: "Timeout" });
    await transfer;
    await sup.stream.close();
    await a.close();
    await b.close();
  });

  it("cancels the monitoring with the switch's error when startMonitor fails", async () => {
    const { a, b, session } = await setUp("f2-bib");
    const sup = await session("site-a", "1901");
    const agent = await session("site-a", "1002");
    const both = await session("site-a", "1901", "1002");
    await sup.request({ request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1002" });
    const start = await monitoredCall(a, "1901");
    await a.send({ kind: "result", time: now(), dn: "1002", commandId: start.id, ok: false, errorCode: 58, errorMessage: "ResourceUnavailableException (CTIERR_BIB_RESOURCE_NOT_AVAILABLE): no built-in bridge" });
    for (const s of [sup, agent]) {
      expect(await waitEvent(s.stream, "EventMonitoringCancelled")).toMatchObject({ thisDN: "1901", otherDN: "1002", extensions: { ErrorCode: 58, ErrorMessage: expect.stringContaining("CTIERR_BIB_RESOURCE_NOT_AVAILABLE") } });
    }
    // a session on both DNs hears it once: counted once a later event of the agent's call reached it
    await a.send({ kind: "released", time: now(), dn: "1002", callId: "c1", cause: "normal" });
    await waitEvent(both.stream, "EventReleased", "1002");
    expect(named(both.stream.events, "EventMonitoringCancelled")).toHaveLength(1);
    await sup.stream.close();
    await agent.stream.close();
    await both.stream.close();
    await a.close();
    await b.close();
  });

  it("cancels an armed monitoring when the agent or the supervisor logs out (PSDK TMonitorNextCall)", async () => {
    const { a, b, session } = await setUp("f2-logout");
    const sup = await session("site-a", "1003");
    const agent = await session("site-a", "1002");
    const other = await session("site-a", "1902");
    const cancelled = (s: { stream: EventStream }) => named(s.stream.events, "EventMonitoringCancelled", "1003");
    // the agent logs out: both DNs' clients hear the monitoring cancelled, after the logout itself
    expect((await sup.request({ request: "RequestMonitorNextCall", thisDN: "1003", otherDN: "1002" })).body.event.event).toBe("EventMonitoringNextCall");
    expect((await agent.request({ request: "RequestAgentLogin", thisDN: "1002", agentID: "a1002", agentWorkMode: 2 })).body.event.event).toBe("EventAgentLogin");
    expect((await agent.request({ request: "RequestAgentLogout", thisDN: "1002" })).body.event.event).toBe("EventAgentLogout");
    expect(await waitEvent(sup.stream, "EventMonitoringCancelled", "1003")).toMatchObject({ thisDN: "1003", otherDN: "1002" });
    expect(await waitEvent(agent.stream, "EventMonitoringCancelled", "1003")).toMatchObject({ thisDN: "1003", otherDN: "1002" });
    expect(agent.stream.events.map((e) => e.event)).toEqual(["EventRegistered", "EventMonitoringNextCall", "EventAgentLogin", "EventAgentLogout", "EventMonitoringCancelled"]);
    // the agent is free again: another monitoring DN may arm it (no 42)
    expect((await other.request({ request: "RequestMonitorNextCall", thisDN: "1902", otherDN: "1002" })).body.event.event).toBe("EventMonitoringNextCall");
    expect((await other.request({ request: "RequestCancelMonitoring", thisDN: "1902", otherDN: "1002" })).body.event.event).toBe("EventMonitoringCancelled");

    // the supervisor logs out: the same
    expect((await sup.request({ request: "RequestAgentLogin", thisDN: "1003", agentID: "s1003", agentWorkMode: 2 })).body.event.event).toBe("EventAgentLogin");
    expect((await sup.request({ request: "RequestMonitorNextCall", thisDN: "1003", otherDN: "1002" })).body.event.event).toBe("EventMonitoringNextCall");
    expect((await sup.request({ request: "RequestAgentLogout", thisDN: "1003" })).body.event.event).toBe("EventAgentLogout");
    await until(() => cancelled(agent).length === 2 && cancelled(sup).length === 2, "the second EventMonitoringCancelled at both");
    expect(cancelled(agent)[1]).toMatchObject({ thisDN: "1003", otherDN: "1002" });
    expect(sup.stream.events.slice(-2).map((e) => e.event)).toEqual(["EventAgentLogout", "EventMonitoringCancelled"]);
    expect((await other.request({ request: "RequestMonitorNextCall", thisDN: "1902", otherDN: "1002" })).body.event.event).toBe("EventMonitoringNextCall");
    for (const s of [sup, agent, other]) await s.stream.close();
    await a.close();
    await b.close();
  });

  it("refuses each limit with its code (B.1 (4))", async () => {
    const { p, a, b, session } = await setUp("f2-refusals");
    const sup = await session("site-a", "1901", "1902", "1003");
    const code = async (body: Record<string, unknown>) => (await sup.request(body)).body.event.errorCode;
    const monitor = { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1002" };
    expect(await code({ ...monitor, monitorNextCallType: 1 })).toBe(51);
    expect(await code({ ...monitor, extensions: { MonitorMode: "coach" } })).toBe(51);
    expect(await code({ ...monitor, extensions: { MonitorMode: "loud" } })).toBe(53);
    expect(await code({ ...monitor, otherDN: "1901" })).toBe(53);
    expect((await sup.request({ ...monitor, extensions: { MonitorMode: "mute" } })).body.event.event).toBe("EventMonitoringNextCall");
    // another supervisor DN for the same agent: 42
    expect(await code({ ...monitor, thisDN: "1902" })).toBe(42);
    // the same supervisor DN for another agent: the first is cancelled (PSDK), not an error
    expect((await sup.request({ ...monitor, otherDN: "1003" })).body.event.event).toBe("EventMonitoringNextCall");
    expect(await waitEvent(sup.stream, "EventMonitoringCancelled", "1901")).toMatchObject({ otherDN: "1002" });
    expect(await code({ ...monitor, thisDN: "1902" })).toBeUndefined();

    // a monitor call at 1901 (armed again on 1002 by 1902 above: 1902 is the one that gets it)
    const start = await monitoredCall(a, "1902");
    await a.send({ kind: "result", time: now(), dn: "1002", commandId: start.id, ok: true, callId: "m1" }, { kind: "monitorStarted", time: now(), dn: "1902", callId: "m1", otherDN: "1002", monitoredCallId: "c1" });
    const { connID } = await waitEvent(sup.stream, "EventEstablished", "1902");
    // the CTI port carries one call at a time
    expect(await code({ ...monitor, thisDN: "1902", otherDN: "1001" })).toBe(231);
    const transfer = { request: "RequestSingleStepTransfer", thisDN: "1902", connID, otherDN: "2003", location: "site-b", extensions: { "GCTI-REMOTE-OBSERVE": "true" } };
    expect(await code({ ...transfer, request: "RequestInitiateTransfer" })).toBe(51);
    expect(await code({ ...transfer, request: "RequestInitiateConference" })).toBe(51);
    expect(await code({ ...transfer, request: "RequestMuteTransfer" })).toBe(51);
    expect(await code({ ...transfer, request: "RequestSingleStepConference" })).toBe(51);
    expect(await code({ ...transfer, extensions: { "GCTI-REMOTE-OBSERVE": "maybe" } })).toBe(53);
    expect(await code({ ...transfer, location: "site-z" })).toBe(1012);
    expect(await code({ ...transfer, otherDN: "2999" })).toBe(1021);
    await b.send({ kind: "service", time: now(), dn: "2003", inService: false });
    expect(await code(transfer)).toBe(58);
    await b.send({ kind: "link", time: now(), link: "link-1", up: false });
    expect(await code(transfer)).toBe(1004);
    await b.send({ kind: "link", time: now(), link: "link-1", up: true }, { kind: "snapshot", time: now(), dns: [phone("2003")] });
    // another remote observation already pending for 2003: 42 (serialised per destination)
    const first = sup.request(transfer);
    const cmd = await a.nextCommand();
    const other = await provisionedOtherPort(p, a);
    expect((await other.request({ ...transfer, thisDN: "1901", connID: other.connID })).body.event.errorCode).toBe(42);
    await a.send({ kind: "result", time: now(), dn: "1902", commandId: cmd.id, ok: true }, { kind: "released", time: now(), dn: "1902", callId: "m1", cause: "normal" });
    expect((await first).body.event).toMatchObject({ event: "EventReleased", callState: 1 });
    // GCTI-REMOTE-OBSERVE on a DN that is not a CTI port (1003's own call): 53
    await a.send({ kind: "dialing", time: now(), dn: "1003", callId: "c3", otherDN: "1004", callType: 1 }, { kind: "established", time: now(), dn: "1003", callId: "c3", otherDN: "1004", callType: 1 });
    expect(await code({ ...transfer, thisDN: "1003", connID: undefined })).toBe(53);
    await sup.stream.close();
    await a.close();
    await b.close();
  });
});

/** A second monitor call, at 1901, by another session: for the "already pending" check. */
async function provisionedOtherPort(p: { client: string }, a: FakeAgent) {
  const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
  const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
  await request({ request: "RequestRegisterAddress", thisDN: "1901" });
  await a.send({ kind: "monitorStarted", time: now(), dn: "1901", callId: "m9", otherDN: "1003", monitoredCallId: "c9" });
  const query = await request({ request: "RequestQueryAddress", thisDN: "1901" });
  return { request, connID: query.body.event.calls[0].connID as string };
}
