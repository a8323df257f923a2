// Feature F2 (issue 9) over real sockets: agent 1003 on site-a, CTI ports 1901/1902, the supervisor 2003
// on site-b (cross-cluster) or 1002 on site-a (local variant). The seed's three steps: monitor from a CTI
// port, single-step transfer with GCTI-REMOTE-OBSERVE, answer at the real supervisor; then the ends of
// monitoring, the CTI port timer, and every refusal (jtapi-fidelity.md B.1 (3) (4)).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const sim = (site: string, path: string, body?: unknown) => stack.simControl("POST", `/clusters/${site}${path}`, body);
const REMOTE_OBSERVE = { "GCTI-REMOTE-OBSERVE": "true" };
/** PUT a site's TServer options with the config key ({} restores the defaults). */
const tserverOptions = (site: string, body: Record<string, string>) => fetch(`${stack.api}/v1/sites/${site}/options/TServer`, { method: "PUT", headers: { authorization: `Bearer ${stack.keys.config}`, "content-type": "application/json" }, body: JSON.stringify(body) });
const since = (s: ClientSession, n: number) => s.events.slice(n);
const after = (s: ClientSession, n: number, name: string, dn?: string) =>
  s.waitFor((e) => s.events.indexOf(e) >= n && e.event === name && (!dn || e.thisDN === dn), `${name}${dn ? ` on ${dn}` : ""}`);
const seqs = (events: TEvent[]) => events.map((e) => e.seq);
/** The requester's trail: `before`, then the transfer's EventReleased and EventRemoteConnectionSuccess in
 * either order (the one comes from the agent's site, the other from the supervisor's: docs/client-api.md). */
async function expectRequesterTrail(s: ClientSession, before: Array<[string, string]>, dn: string) {
  await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === dn, `EventReleased on ${dn} in the stream`);
  await s.waitFor((e) => e.event === "EventRemoteConnectionSuccess" && e.thisDN === dn, `EventRemoteConnectionSuccess on ${dn}`);
  const trail = s.trail();
  expect(trail.slice(0, before.length)).toEqual(before);
  expect([...trail.slice(before.length)].sort()).toEqual([["EventReleased", dn], ["EventRemoteConnectionSuccess", dn]]);
}

/** 1001 calls the agent 1003, who answers; returns the agent's connID of the call. */
async function customerCallsAgent(agent: ClientSession): Promise<string> {
  const n = agent.events.length;
  await sim("site-a", "/devices/1001/offhook", { dial: "1003" });
  await after(agent, n, "EventRinging", "1003");
  await sim("site-a", "/devices/1003/answer");
  return (await after(agent, n, "EventEstablished", "1003")).connID!;
}

describe("F2: cross-cluster supervisor monitoring", () => {
  it("monitors 1003 from CTI port 1901 and hands the monitor call to supervisor 2003 on site-b", async () => {
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    const remote = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901");
    await agent.register("site-a", "1003");
    await remote.register("site-b", "2003");

    // step 1: MonitorNextCall from the CTI port; both DNs' clients hear of it
    const armed = await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1003", monitorNextCallType: 0 });
    expect(armed.event).toMatchObject({ event: "EventMonitoringNextCall", thisDN: "1901", otherDN: "1003", monitorNextCallType: 0, referenceID: armed.referenceID });
    expect(await agent.waitFor((e) => e.event === "EventMonitoringNextCall", "EventMonitoringNextCall at the agent")).toMatchObject({ thisDN: "1901", otherDN: "1003", monitorNextCallType: 0 });

    const C1 = await customerCallsAgent(agent);
    const established = await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "EventEstablished at the CTI port");
    expect(established).toMatchObject({ connID: C1, thisDN: "1901", thisDNRole: 10, otherDN: "1003", otherDNRole: 2, callType: 1 });
    const added = await agent.waitFor((e) => e.event === "EventPartyAdded", "EventPartyAdded at the agent");
    expect(added).toMatchObject({ connID: C1, thisDN: "1003", thisDNRole: 2, otherDN: "1901", otherDNRole: 10 });

    // step 2: single-step transfer to the real supervisor on site-b
    const transferred = await sup.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: REMOTE_OBSERVE });
    expect(transferred.status).toBe(200);
    expect(transferred.event).toMatchObject({ event: "EventReleased", connID: C1, thisDN: "1901", thisDNRole: 10, otherDN: "1003", callState: 1, thirdPartyDN: "2003" });
    const ringing = await remote.waitFor((e) => e.event === "EventRinging" && e.thisDN === "2003", "EventRinging at the supervisor");
    expect(ringing).toMatchObject({ thisDN: "2003", thisDNRole: 10, otherDN: "1003", otherDNRole: 1, callType: 2, extensions: REMOTE_OBSERVE });
    const C2 = ringing.connID!;
    expect(C2).not.toBe(C1);
    expect(await sup.waitFor((e) => e.event === "EventRemoteConnectionSuccess", "EventRemoteConnectionSuccess")).toMatchObject({ thisDN: "1901", otherDN: "2003", location: "site-b" });

    // step 3: the supervisor answers (here with RequestAnswerCall): role 10 again
    const answered = await remote.request("site-b", { request: "RequestAnswerCall", thisDN: "2003", connID: C2 });
    expect(answered.event).toMatchObject({ event: "EventEstablished", connID: C2, thisDN: "2003", thisDNRole: 10, otherDN: "1003", extensions: REMOTE_OBSERVE });

    // the agent's call ends: the observer's leg ends with it
    await sim("site-a", "/devices/1001/hangup");
    expect(await remote.waitFor((e) => e.event === "EventReleased", "EventReleased at the supervisor")).toMatchObject({ connID: C2, thisDN: "2003", thisDNRole: 10, callState: 0 });
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");

    // the agent got nothing else for the monitor call: no second EventRinging/EventEstablished, no EventPartyAdded for a remote supervisor
    expect(agent.trail()).toEqual([["EventRegistered", "1003"], ["EventMonitoringNextCall", "1901"], ["EventRinging", "1003"], ["EventEstablished", "1003"], ["EventPartyAdded", "1003"], ["EventReleased", "1003"]]);
    await expectRequesterTrail(sup, [["EventRegistered", "1901"], ["EventMonitoringNextCall", "1901"], ["EventEstablished", "1901"]], "1901");
    expect(remote.trail()).toEqual([["EventRegistered", "2003"], ["EventRinging", "2003"], ["EventEstablished", "2003"], ["EventReleased", "2003"]]);
    for (const s of [sup, agent, remote]) expect(seqs(s.events)).toEqual(s.events.map((_, i) => i + 1));
    for (const s of [sup, agent, remote]) await s.close();
  });

  it("local variant: supervisor 1002 on the agent's site; EventPartyAdded names it; its hang-up gives EventPartyDeleted", async () => {
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    const local = await ClientSession.open(stack.client());
    await sup.register("site-a", "1902");
    await agent.register("site-a", "1003");
    await local.register("site-a", "1002");
    await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1902", otherDN: "1003" });
    const C1 = await customerCallsAgent(agent);
    await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1902", "EventEstablished at the CTI port");
    expect(await agent.waitFor((e) => e.event === "EventPartyAdded", "the CTI port added")).toMatchObject({ connID: C1, otherDN: "1902", otherDNRole: 10 });
    const n = agent.events.length;

    const transferred = await sup.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1902", connID: C1, otherDN: "1002", extensions: REMOTE_OBSERVE });
    expect(transferred.event).toMatchObject({ event: "EventReleased", connID: C1, thisDN: "1902", thisDNRole: 10, callState: 1, thirdPartyDN: "1002" });
    const ringing = await local.waitFor((e) => e.event === "EventRinging", "EventRinging at 1002");
    expect(ringing).toMatchObject({ thisDN: "1002", thisDNRole: 10, otherDN: "1003", extensions: REMOTE_OBSERVE });
    await sim("site-a", "/devices/1002/answer");
    expect(await local.waitFor((e) => e.event === "EventEstablished", "EventEstablished at 1002")).toMatchObject({ connID: ringing.connID, thisDN: "1002", thisDNRole: 10 });
    expect(await after(agent, n, "EventPartyAdded")).toMatchObject({ connID: C1, thisDN: "1003", otherDN: "1002", otherDNRole: 10 });

    // the supervisor hangs up first: the agent's call goes on without its observer
    await sim("site-a", "/devices/1002/hangup");
    expect(await after(agent, n, "EventPartyDeleted")).toMatchObject({ connID: C1, thisDN: "1003", otherDN: "1002", otherDNRole: 8 });
    expect(await local.waitFor((e) => e.event === "EventReleased", "EventReleased at 1002")).toMatchObject({ thisDNRole: 10 });
    expect(since(agent, n).map((e) => e.event)).toEqual(["EventPartyAdded", "EventPartyDeleted"]);
    // no EventRemoteConnection* for a local supervisor
    expect(sup.trail()).toEqual([["EventRegistered", "1902"], ["EventMonitoringNextCall", "1902"], ["EventEstablished", "1902"], ["EventReleased", "1902"]]);
    await sim("site-a", "/devices/1001/hangup");
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    for (const s of [sup, agent, local]) await s.close();
  });

  it("releases a monitor call left at the CTI port after cti-port-release-timeout", async () => {
    expect((await tserverOptions("site-a", { "cti-port-release-timeout": "1" })).status).toBe(200);
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901");
    await agent.register("site-a", "1003");
    await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1003" });
    const C1 = await customerCallsAgent(agent);
    const released = await sup.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1901", "the T-Server releases the CTI port's call");
    expect(released).toMatchObject({ connID: C1, thisDN: "1901", thisDNRole: 10, callState: 0 });
    expect(await agent.waitFor((e) => e.event === "EventPartyDeleted", "EventPartyDeleted at the agent")).toMatchObject({ connID: C1, otherDN: "1901", otherDNRole: 8 });
    expect((await tserverOptions("site-a", {})).status).toBe(200);
    await sim("site-a", "/devices/1001/hangup");
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    for (const s of [sup, agent]) await s.close();
  });

  it("a busy supervisor: the transfer is refused 231 at once, the monitor call stays at the port, a retry once 2003 is free goes through", async () => {
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    const remote = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901");
    await agent.register("site-a", "1003");
    await remote.register("site-b", "2003");
    await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1003" });
    const C1 = await customerCallsAgent(agent);
    await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "EventEstablished at the CTI port");
    // 2003 is on a call of its own
    await stack.simControl("POST", "/clusters/site-b/devices/2003/offhook", { dial: "2001" });
    await stack.simControl("POST", "/clusters/site-b/devices/2001/answer");
    await remote.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "2003", "2003's own call established");

    const transfer = { request: "RequestSingleStepTransfer" as const, thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: REMOTE_OBSERVE };
    const refused = await sup.request("site-a", transfer);
    expect(refused.event).toMatchObject({ event: "EventError", errorCode: 231, thisDN: "1901", errorMessage: expect.stringContaining("busy") });
    expect((await sup.request("site-a", { request: "RequestQueryAddress", thisDN: "1901" })).event.calls).toMatchObject([{ connID: C1, thisDNRole: 10 }]);

    // 2003 hangs up; the expectation was withdrawn, so the retry is not "already pending" (42)
    const n = remote.events.length;
    await stack.simControl("POST", "/clusters/site-b/devices/2003/hangup");
    await after(remote, n, "EventReleased", "2003");
    const moved = await sup.request("site-a", transfer);
    expect(moved.event).toMatchObject({ event: "EventReleased", connID: C1, thisDN: "1901", thisDNRole: 10, callState: 1, thirdPartyDN: "2003" });
    expect(await after(remote, n, "EventRinging", "2003")).toMatchObject({ thisDNRole: 10, otherDN: "1003", extensions: REMOTE_OBSERVE });
    expect(await sup.waitFor((e) => e.event === "EventRemoteConnectionSuccess", "EventRemoteConnectionSuccess")).toMatchObject({ thisDN: "1901", otherDN: "2003", location: "site-b" });
    await expectRequesterTrail(sup, [["EventRegistered", "1901"], ["EventMonitoringNextCall", "1901"], ["EventEstablished", "1901"], ["EventError", "1901"], ["EventAddressInfo", "1901"]], "1901");
    const m = remote.events.length;
    await sim("site-a", "/devices/1001/hangup");
    expect(await after(remote, m, "EventReleased", "2003")).toMatchObject({ thisDNRole: 10, callState: 0 });
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    for (const s of [sup, agent, remote]) await s.close();
  });

  it("nothing arrives at site-b within remote-observe-timeout: EventRemoteConnectionFailed 1013; a late arrival is an ordinary call", async () => {
    // the window is the destination site's option; site-b's agent is frozen (alive socket, no traffic) so
    // that its switch has the call but the control plane does not hear of it in time
    expect((await tserverOptions("site-b", { "remote-observe-timeout": "1" })).status).toBe(200);
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    const remote = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901");
    await agent.register("site-a", "1003");
    await remote.register("site-b", "2003");
    await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1003" });
    const C1 = await customerCallsAgent(agent);
    await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "EventEstablished at the CTI port");
    const siteB = stack.agents["site-b"]!;
    siteB.proc.kill("SIGSTOP");
    try {
      const moved = await sup.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: REMOTE_OBSERVE });
      expect(moved.event).toMatchObject({ event: "EventReleased", connID: C1, thisDN: "1901", callState: 1, thirdPartyDN: "2003" });
      expect(await sup.waitFor((e) => e.event === "EventRemoteConnectionFailed", "EventRemoteConnectionFailed")).toMatchObject({
        thisDN: "1901", otherDN: "2003", location: "site-b", errorCode: 1013, errorMessage: expect.stringContaining("remote-observe-timeout"),
      });
    } finally {
      siteB.proc.kill("SIGCONT");
    }
    // the call reaches 2003's clients once site-b's agent runs again: an ordinary call, not an observer's leg
    const ringing = await remote.waitFor((e) => e.event === "EventRinging" && e.thisDN === "2003", "the late EventRinging at 2003");
    expect(ringing.thisDNRole).not.toBe(10);
    expect(ringing.extensions?.["GCTI-REMOTE-OBSERVE"]).toBeUndefined();
    expect(sup.events.some((e) => e.event === "EventRemoteConnectionSuccess")).toBe(false);
    expect((await tserverOptions("site-b", {})).status).toBe(200);
    await sim("site-a", "/devices/1001/hangup");
    await remote.waitFor((e) => e.event === "EventReleased" && e.thisDN === "2003", "EventReleased at 2003");
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    for (const s of [sup, agent, remote]) await s.close();
  });

  it("the monitored call's user data goes with the monitor call to site-b; the remote supervisor hanging up first gives the agent EventPartyDeleted", async () => {
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    const remote = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901");
    await agent.register("site-a", "1003");
    await remote.register("site-b", "2003");
    await sup.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1003" });
    // the data is attached while the call rings at the agent, as a routing strategy would
    const n = agent.events.length;
    await sim("site-a", "/devices/1001/offhook", { dial: "1003" });
    const C1 = (await after(agent, n, "EventRinging", "1003")).connID!;
    const data = { CaseID: "C-42", Priority: 3 };
    expect((await agent.request("site-a", { request: "RequestAttachUserData", thisDN: "1003", connID: C1, userData: data })).event).toMatchObject({ event: "EventAttachedDataChanged", userData: data });
    await sim("site-a", "/devices/1003/answer");
    expect(await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "EventEstablished at the CTI port")).toMatchObject({ connID: C1, thisDNRole: 10, userData: data });

    const transfer = { request: "RequestSingleStepTransfer" as const, thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: REMOTE_OBSERVE };
    expect((await sup.request("site-a", transfer)).event).toMatchObject({ event: "EventReleased", callState: 1 });
    const ringing = await remote.waitFor((e) => e.event === "EventRinging" && e.thisDN === "2003", "EventRinging at the supervisor");
    expect(ringing).toMatchObject({ thisDNRole: 10, userData: data, extensions: REMOTE_OBSERVE });
    const answered = await remote.request("site-b", { request: "RequestAnswerCall", thisDN: "2003", connID: ringing.connID });
    expect(answered.event).toMatchObject({ event: "EventEstablished", thisDNRole: 10, userData: data });
    // the remote supervisor hangs up first: the agent's call goes on, the agent hears its observer (the far number) leave
    await stack.simControl("POST", "/clusters/site-b/devices/2003/hangup");
    expect(await remote.waitFor((e) => e.event === "EventReleased" && e.thisDN === "2003", "EventReleased at the supervisor")).toMatchObject({ connID: ringing.connID, thisDNRole: 10, callState: 0 });
    expect(await agent.waitFor((e) => e.event === "EventPartyDeleted", "EventPartyDeleted at the agent")).toMatchObject({ connID: C1, thisDN: "1003", otherDN: "2003", otherDNRole: 8 });
    await sim("site-a", "/devices/1001/hangup");
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    expect(agent.trail()).toEqual([["EventRegistered", "1003"], ["EventMonitoringNextCall", "1901"], ["EventRinging", "1003"], ["EventAttachedDataChanged", "1003"], ["EventEstablished", "1003"], ["EventPartyAdded", "1003"], ["EventPartyDeleted", "1003"], ["EventReleased", "1003"]]);
    for (const s of [sup, agent, remote]) await s.close();
  });

  it("refuses every limit with a clear EventError", async () => {
    const sup = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    await sup.register("site-a", "1901", "1902");
    await agent.register("site-a", "1003");
    const error = async (site: string, body: Parameters<ClientSession["request"]>[1]) => {
      const r = await sup.request(site, body);
      expect(r.event.event).toBe("EventError");
      expect(r.event.errorMessage).toBeTruthy();
      return r.event.errorCode;
    };
    const monitor = { request: "RequestMonitorNextCall" as const, thisDN: "1901", otherDN: "1003" };
    expect(await error("site-a", { ...monitor, monitorNextCallType: 1 })).toBe(51);
    expect(await error("site-a", { ...monitor, extensions: { MonitorMode: "coach" } })).toBe(51);
    expect(await error("site-a", { ...monitor, extensions: { MonitorMode: "connect" } })).toBe(51);
    expect(await error("site-a", { ...monitor, extensions: { MonitorMode: "whisper-ish" } })).toBe(53);
    expect((await sup.request("site-a", monitor)).event.event).toBe("EventMonitoringNextCall");
    expect(await error("site-a", { ...monitor, thisDN: "1902" })).toBe(42);

    const C1 = await customerCallsAgent(agent);
    await sup.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "the monitor call");
    expect(await error("site-a", { ...monitor, otherDN: "1001" })).toBe(231);
    const transfer = { request: "RequestSingleStepTransfer" as const, thisDN: "1901", connID: C1, otherDN: "2003", location: "site-b", extensions: REMOTE_OBSERVE };
    expect(await error("site-a", { ...transfer, request: "RequestInitiateTransfer" })).toBe(51);
    expect(await error("site-a", { ...transfer, request: "RequestInitiateConference" })).toBe(51);
    expect(await error("site-a", { ...transfer, extensions: { "GCTI-REMOTE-OBSERVE": "yes" } })).toBe(53);
    expect(await error("site-a", { ...transfer, location: "site-z" })).toBe(1012);
    expect((await sup.request("site-a", { ...transfer, otherDN: "2999" })).event).toMatchObject({ event: "EventError", errorCode: 1021, errorMessage: "DN 2999 is not configured at location site-b" });
    // GCTI-REMOTE-OBSERVE on the agent's own call (not a CTI port's monitor call)
    await agent.request("site-a", { request: "RequestRegisterAddress", thisDN: "1003" });
    expect((await agent.request("site-a", { ...transfer, thisDN: "1003" })).event.errorCode).toBe(53);
    // the location's link is down
    await stack.agents["site-b"]!.stop();
    await waitForLink(stack.api, stack.keys.client, "site-b", false);
    expect(await error("site-a", transfer)).toBe(1004);
    await stack.startAgent("site-b");
    await sim("site-a", "/devices/1001/hangup");
    await agent.waitFor((e) => e.event === "EventReleased", "EventReleased at the agent");
    for (const s of [sup, agent]) await s.close();
  });
});
