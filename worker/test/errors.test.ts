// Bad input and wrong state: clear EventErrors with T-Library codes, never a 500.
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision } from "./helpers.js";

async function setup(tenant: string, linkUp = true) {
  const p = await provision(tenant, ["site-a"], { "site-a": [{ number: "1001" }, { number: "1002" }] });
  const agent = await FakeAgent.connect("site-a", p.link["site-a"]!, { links: linkUp });
  if (linkUp) {
    await agent.send({
      kind: "snapshot", time: now(),
      dns: [{ dn: "1001", kind: "phone", inService: true, calls: [{ callId: "c9", phase: "ringing", otherDN: "1002", role: 2, callType: 1 }] },
            { dn: "1002", kind: "phone", inService: false, calls: [] }],
    });
  }
  const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
  const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
  return { p, agent, sessionId, request };
}

describe("request errors", () => {
  it("answers malformed input with 400 and EventError 53 naming the field", async () => {
    const { request, p } = await setup("err-input");
    const notJson = await api("POST", "/v1/sites/site-a/requests", p.client, "{oops");
    expect(notJson.status).toBe(400);
    expect(notJson.body.event).toMatchObject({ event: "EventError", errorCode: 53 });
    const badName = await request({ request: "RequestFlyToMoon", thisDN: "1001" });
    expect(badName.status).toBe(400);
    expect(badName.body.event.errorMessage).toContain("request");
    const badConn = await request({ request: "RequestAnswerCall", thisDN: "1001", connID: "xyz" });
    expect(badConn.body.event.errorMessage).toContain("connID");
    const extra = await request({ request: "RequestAnswerCall", thisDN: "1001", colour: "red" });
    expect(extra.status).toBe(400);
    expect(extra.body.event.errorMessage).toContain("colour");
    const noDn = await request({ request: "RequestMakeCall" });
    expect(noDn.body.event.errorMessage).toContain("thisDN");
    const noSession = await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId: "nobody", request: "RequestRegisterAddress", thisDN: "1001" });
    expect(noSession.status).toBe(404);
    expect(noSession.body.event.errorCode).toBe(53);
  });

  it("gives 41 for an unregistered DN, 59 for an unknown DN, 56 for an unknown connID, 58 out of service", async () => {
    const { request, agent } = await setup("err-state");
    const unregistered = await request({ request: "RequestAnswerCall", thisDN: "1001" });
    expect(unregistered.status).toBe(422);
    expect(unregistered.body.event).toMatchObject({ event: "EventError", errorCode: 41, thisDN: "1001" });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "4444" })).body.event.errorCode).toBe(59);
    await request({ request: "RequestRegisterAddress", thisDN: "1001" });
    await request({ request: "RequestRegisterAddress", thisDN: "1002" });
    expect((await request({ request: "RequestAnswerCall", thisDN: "1001", connID: "0123456789abcdef" })).body.event.errorCode).toBe(56);
    expect((await request({ request: "RequestRetrieveCall", thisDN: "1001" })).body.event.errorCode).toBe(56);
    expect((await request({ request: "RequestHoldCall", thisDN: "1001" })).body.event.errorCode).toBe(56);
    expect((await request({ request: "RequestMakeCall", thisDN: "1002", otherDN: "1001" })).body.event.errorCode).toBe(58);
    expect((await request({ request: "RequestMakeCall", thisDN: "1001" })).body.event).toMatchObject({ errorCode: 53 });
    // RequestQueryCall (supported now) is answered by the DN itself, from its one call (ringing); 56 for a connID that is not its call
    expect((await request({ request: "RequestQueryCall", thisDN: "1001" })).body.event).toMatchObject({ event: "EventPartyInfo", thisDN: "1001", thisDNRole: 2, callState: 0 });
    expect((await request({ request: "RequestQueryCall", thisDN: "1001", connID: "0123456789abcdef" })).body.event.errorCode).toBe(56);
    // the switch's refusal comes back as the request's EventError
    const answering = request({ request: "RequestAnswerCall", thisDN: "1001" });
    const cmd = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1001", commandId: cmd.id, ok: false, errorCode: 51, errorMessage: "InvalidStateException: not ringing" });
    const refused = await answering;
    expect(refused.status).toBe(422);
    expect(refused.body.event).toMatchObject({ event: "EventError", errorCode: 51, errorMessage: "InvalidStateException: not ringing" });
    const query = await request({ request: "RequestQueryAddress", thisDN: "1001" });
    expect(query.body.event).toMatchObject({ event: "EventAddressInfo", addressStatus: 4, inService: true });
    await agent.close();
  });

  it("gives 54 when no link agent is connected", async () => {
    const { request, agent } = await setup("err-link", false);
    await request({ request: "RequestRegisterAddress", thisDN: "1001" });
    expect((await request({ request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" })).body.event.errorCode).toBe(54);
    await agent.close();
  });
});

describe("link and service state", () => {
  it("tells each session once that the link went down, and each DN goes out of service", async () => {
    const { p, agent, sessionId, request } = await setup("link-down");
    await request({ request: "RequestRegisterAddress", thisDN: "1001" });
    await request({ request: "RequestRegisterAddress", thisDN: "1002" });
    const stream = await EventStream.open(sessionId, p.client, 0);
    await stream.waitFor(2);
    await agent.close();
    const events = await stream.waitFor(4);
    expect(events.slice(2).map((e) => [e.event, e.thisDN])).toEqual([["EventLinkDisconnected", undefined], ["EventDNOutOfService", "1001"]]);
    const back = await FakeAgent.connect("site-a", p.link["site-a"]!, { stream: "stream-2" });
    expect(back.welcome.resumeAfter).toBe(0);
    await back.send({ kind: "snapshot", time: now(), dns: [{ dn: "1001", kind: "phone", inService: true, calls: [] }, { dn: "1002", kind: "phone", inService: true, calls: [] }] });
    const after = await stream.waitFor(8);
    expect(after.slice(4).map((e) => [e.event, e.thisDN])).toEqual([
      ["EventLinkConnected", undefined], ["EventDNBackInService", "1001"], ["EventReleased", "1001"], ["EventDNBackInService", "1002"],
    ]);
    await stream.close();
    await back.close();
  });

  it("resumes a stream after a reconnect: events already applied are acknowledged, not applied twice", async () => {
    const { p, agent } = await setup("resume");
    await agent.close();
    const again = await FakeAgent.connect("site-a", p.link["site-a"]!);
    expect(again.welcome.resumeAfter).toBe(1);
    await again.close();
  });
});
