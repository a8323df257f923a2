// Emulated agent state per DN (UCM has none): login, ready, not ready, logout, DND.
import { describe, expect, it } from "vitest";
import { api, EventStream, provision } from "./helpers.js";

describe("agent state", () => {
  it("follows the requests with their events, seen by every session registered on the DN, and answers RequestQueryAddress", async () => {
    const p = await provision("agents", ["site-a"], { "site-a": [{ number: "1001" }, { number: "1500", type: "RoutingPoint" }] });
    const desk = (await api("POST", "/v1/sessions", p.client, {})).body.sessionId;
    const supervisor = (await api("POST", "/v1/sessions", p.client, {})).body.sessionId;
    const req = (sessionId: string, body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, thisDN: "1001", ...body });
    await req(desk, { request: "RequestRegisterAddress" });
    await req(supervisor, { request: "RequestRegisterAddress" });
    const watch = await EventStream.open(supervisor, p.client, 0);

    expect((await req(desk, { request: "RequestAgentReady" })).body.event).toMatchObject({ errorCode: 51 });
    expect((await req(desk, { request: "RequestAgentLogin" })).body.event).toMatchObject({ errorCode: 53 });
    expect((await req(desk, { request: "RequestAgentLogin", agentID: "a1", agentWorkMode: 1, reasons: { shift: "early" } })).body.event)
      .toMatchObject({ event: "EventAgentLogin", thisDN: "1001", agentID: "a1", agentWorkMode: 1, reasons: { shift: "early" }, referenceID: 4 });
    expect((await req(desk, { request: "RequestAgentLogin", agentID: "a1" })).body.event.errorCode).toBe(43);
    expect((await req(desk, { request: "RequestAgentNotReady", agentWorkMode: 4, reasons: { ReasonCode: "Lunch" } })).body.event)
      .toMatchObject({ event: "EventAgentNotReady", agentWorkMode: 4, reasons: { ReasonCode: "Lunch" } });
    expect((await req(desk, { request: "RequestAgentNotReady", agentWorkMode: 2 })).body.event.errorCode).toBe(53);
    expect((await req(desk, { request: "RequestAgentReady", agentWorkMode: 2 })).body.event).toMatchObject({ event: "EventAgentReady", agentWorkMode: 2 });
    expect((await req(desk, { request: "RequestSetDNDOn" })).body.event.event).toBe("EventDNDOn");
    expect((await req(desk, { request: "RequestSetDNDOn" })).body.event.errorCode).toBe(43);
    const query = (await req(supervisor, { request: "RequestQueryAddress" })).body.event;
    expect(query).toMatchObject({ event: "EventAddressInfo", agentID: "a1", agentState: "Ready", agentWorkMode: 2, dnd: true });
    expect((await req(desk, { request: "RequestSetDNDOff" })).body.event.event).toBe("EventDNDOff");
    expect((await req(desk, { request: "RequestAgentLogout" })).body.event).toMatchObject({ event: "EventAgentLogout", agentID: "a1" });
    expect((await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId: desk, thisDN: "1500", request: "RequestRegisterAddress" })).status).toBe(200);
    expect((await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId: desk, thisDN: "1500", request: "RequestAgentLogin", agentID: "x" })).body.event.errorCode).toBe(51);

    const events = await watch.waitFor(8);
    // the supervisor's session sees the agent's state changes (without the desk's referenceIDs)
    expect(events.map((e) => e.event)).toEqual([
      "EventRegistered", "EventAgentLogin", "EventAgentNotReady", "EventAgentReady", "EventDNDOn", "EventAddressInfo", "EventDNDOff", "EventAgentLogout",
    ]);
    expect(events[1]!.referenceID).toBeUndefined();
    await watch.close();
  });
});
