// The Site -> Dn -> Session path with a fake link agent speaking the real uplink protocol.
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const phones = { "site-a": [{ number: "1001" }, { number: "1002" }] };
const snapshot = (calls: Record<string, any[]> = {}) => ({
  kind: "snapshot" as const, time: now(),
  dns: ["1001", "1002"].map((dn) => ({ dn, kind: "phone" as const, inService: true, calls: calls[dn] ?? [] })),
});

async function setup(tenant: string) {
  const p = await provision(tenant, ["site-a"], phones);
  const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
  await agent.send({ kind: "link", time: now(), link: "link-1", up: true }, snapshot());
  const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
  const stream = await EventStream.open(sessionId, p.client);
  const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
  return { p, agent, sessionId, stream, request };
}

describe("a basic call through the control plane", () => {
  it("gives each party the T-Library events of make, answer, hold, retrieve and release, in order", async () => {
    const { agent, stream, request, sessionId, p } = await setup("calls");
    expect((await request({ request: "RequestRegisterAddress", thisDN: "1001" })).body.event).toMatchObject({ event: "EventRegistered", thisDN: "1001", referenceID: 1 });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "1002" })).body.event.event).toBe("EventRegistered");

    const making = request({ request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const cmd = await agent.nextCommand();
    expect(cmd).toMatchObject({ op: "makeCall", dn: "1001", otherDN: "1002" });
    await agent.send(
      { kind: "result", time: now(), dn: "1001", commandId: cmd.id, ok: true, callId: "c1" },
      { kind: "dialing", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "ringing", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
    );
    const made = await making;
    expect(made.status).toBe(200);
    expect(made.body.event).toMatchObject({ event: "EventDialing", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1, referenceID: 3 });
    const connID = made.body.event.connID as string;
    expect(connID).toMatch(/^[0-9a-f]{16}$/);

    const answering = request({ request: "RequestAnswerCall", thisDN: "1002", connID });
    const answer = await agent.nextCommand();
    expect(answer).toMatchObject({ op: "answer", dn: "1002", callId: "c1" });
    await agent.send(
      { kind: "result", time: now(), dn: "1002", commandId: answer.id, ok: true },
      { kind: "established", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
      { kind: "established", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
    );
    expect((await answering).body.event).toMatchObject({ event: "EventEstablished", thisDN: "1002", connID, thisDNRole: 2 });

    const holding = request({ request: "RequestHoldCall", thisDN: "1001", connID });
    const hold = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1001", commandId: hold.id, ok: true }, { kind: "held", time: now(), dn: "1001", callId: "c1" });
    expect((await holding).body.event).toMatchObject({ event: "EventHeld", thisDN: "1001", connID });
    const twice = await request({ request: "RequestHoldCall", thisDN: "1001", connID });
    expect(twice.status).toBe(422);
    expect(twice.body.event).toMatchObject({ event: "EventError", errorCode: 43 });

    const retrieving = request({ request: "RequestRetrieveCall", thisDN: "1001", connID });
    const retrieve = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1001", commandId: retrieve.id, ok: true }, { kind: "retrieved", time: now(), dn: "1001", callId: "c1" });
    expect((await retrieving).body.event.event).toBe("EventRetrieved");

    const releasing = request({ request: "RequestReleaseCall", thisDN: "1001", connID });
    const release = await agent.nextCommand();
    await agent.send(
      { kind: "result", time: now(), dn: "1001", commandId: release.id, ok: true },
      { kind: "released", time: now(), dn: "1001", callId: "c1", cause: "normal" },
      { kind: "released", time: now(), dn: "1002", callId: "c1", cause: "normal" },
    );
    expect((await releasing).body.event).toMatchObject({ event: "EventReleased", thisDN: "1001", connID });

    const events = await stream.waitFor(11);
    expect(events.map((e) => [e.event, e.thisDN])).toEqual([
      ["EventRegistered", "1001"], ["EventRegistered", "1002"],
      ["EventDialing", "1001"], ["EventRinging", "1002"],
      ["EventEstablished", "1002"], ["EventEstablished", "1001"],
      ["EventHeld", "1001"], ["EventError", "1001"], ["EventRetrieved", "1001"],
      ["EventReleased", "1001"], ["EventReleased", "1002"],
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.connID).every((e) => e.connID === connID)).toBe(true);
    expect(events.every((e) => e.site === "site-a" && /\d{4}-\d\d-\d\dT.*\.\d{3}Z/.test(e.time!))).toBe(true);

    // a reconnect with after= replays exactly what followed
    await stream.close();
    const again = await EventStream.open(sessionId, p.client, 8);
    const replayed = await again.waitFor(3);
    expect(replayed.map((e) => e.seq)).toEqual([9, 10, 11]);
    await again.close();
    await agent.close();
  });
});
