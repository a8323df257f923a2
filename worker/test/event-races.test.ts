// Races of the request path against the event path (issue 12): ordering per call, a result faster than
// the command's own bookkeeping, two requests waiting for one event, a call released during a user
// data change, commands that died with their agent, and the resync a reconnecting agent gets.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";
import type { Session } from "../src/objects/session.js";
import type { Site } from "../src/objects/site.js";
import type { Call } from "../src/objects/call.js";
import { connIdFor } from "../src/crypto.js";

const phones = { "site-a": [{ number: "1001" }, { number: "1002" }] };
const inService = () => ({ kind: "snapshot" as const, time: now(), dns: ["1001", "1002"].map((dn) => ({ dn, kind: "phone" as const, inService: true, calls: [] })) });
const restores: Array<() => void> = [];
afterEach(() => { while (restores.length) restores.pop()!(); });

/** Wraps a method of a Durable Object's prototype (RPC calls prototype methods) for one instance. */
async function wrap<T extends object>(ns: { getByName(name: string): unknown }, name: string, method: keyof T & string, around: (original: (...args: any[]) => any, self: T, args: any[]) => any) {
  await runInDurableObject(ns.getByName(name) as DurableObjectStub, (instance: unknown) => {
    const proto = Object.getPrototypeOf(instance) as Record<string, any>;
    const original = proto[method] as (...args: any[]) => any;
    proto[method] = function (this: T, ...args: any[]) {
      return this === instance ? around((...a: any[]) => original.apply(this, a), this, args) : original.apply(this, args);
    };
    restores.push(() => { proto[method] = original; });
  });
}

async function setup(tenant: string, timeoutSeconds?: number) {
  const p = await provision(tenant, ["site-a"], phones);
  if (timeoutSeconds) expect((await api("PUT", "/v1/sites/site-a/options/TServer", p.config, { "request-timeout": String(timeoutSeconds) })).status).toBe(200);
  const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
  await agent.send({ kind: "link", time: now(), link: "link-1", up: true }, inService());
  const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
  const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
  expect((await request({ request: "RequestRegisterAddress", thisDN: "1001" })).status).toBe(200);
  expect((await request({ request: "RequestRegisterAddress", thisDN: "1002" })).status).toBe(200);
  const stream = await EventStream.open(sessionId, p.client, 0);
  await stream.waitFor(2);
  return { p, agent, sessionId, stream, request };
}

async function ringing(agent: FakeAgent) {
  await agent.send(
    { kind: "dialing", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
    { kind: "ringing", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
  );
}

async function established(agent: FakeAgent) {
  await ringing(agent);
  await agent.send(
    { kind: "established", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
    { kind: "established", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
  );
}

const names = (s: EventStream) => s.events.map((e) => `${e.event}:${e.thisDN ?? ""}`);

describe("request-path events and switch events of one call", { timeout: 20_000 }, () => {
  it("EventAttachedDataChanged never overtakes the EventEstablished the client already has an answer for", async () => {
    const { agent, stream, request, sessionId } = await setup("ordered");
    await ringing(agent);
    await stream.waitFor(4);
    // the session stores the batch with EventEstablished slowly; the HTTP answer comes first
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    await wrap<Session>(env.SESSION, `ordered/${sessionId}`, "deliver", (original, _self, [events, from]) =>
      (events as Array<{ event: string }>).some((e) => e.event === "EventEstablished") ? gate.then(() => original(events, from)) : original(events, from));
    let relayed = false;
    await wrap<Site>(env.SITE, "ordered/site-a", "relay", (original, _self, args) => { relayed = true; return original(...args); });

    const answering = request({ request: "RequestAnswerCall", thisDN: "1002" });
    const cmd = await agent.nextCommand();
    agent.push(
      { kind: "result", time: now(), dn: "1002", commandId: cmd.id, ok: true },
      { kind: "established", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
      { kind: "established", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
    );
    const answered = await answering;
    expect(answered.body.event).toMatchObject({ event: "EventEstablished", thisDN: "1002" });
    let attachedEarly = false;
    const attaching = request({ request: "RequestAttachUserData", thisDN: "1002", connID: answered.body.event.connID, userData: { account: "42" } })
      .finally(() => { attachedEarly = true; });
    await until(() => relayed || attachedEarly, "the attach request to reach the Site (or to be answered)");
    open();
    expect((await attaching).status).toBe(200);
    await stream.waitFor(8);
    expect(names(stream).slice(4)).toEqual(["EventEstablished:1002", "EventEstablished:1001", "EventAttachedDataChanged:1002", "EventAttachedDataChanged:1001"]);
    expect(stream.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await stream.close();
    await agent.close();
  });
});

describe("pending requests", { timeout: 20_000 }, () => {
  it("a result that arrives before sendCommand returned still answers the request", async () => {
    const { agent, request, stream, p } = await setup("fastresult", 1);
    let resultApplied!: () => void;
    const applied = new Promise<void>((r) => (resultApplied = r));
    // the Site hands the Dn its answer only after the switch's result was applied
    await wrap<Site>(env.SITE, "fastresult/site-a", "sendCommand", async (original, _self, args) => {
      const sent = original(...args);
      await applied;
      return sent;
    });
    const making = request({ request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const cmd = await agent.nextCommand();
    await agent.send(
      { kind: "result", time: now(), dn: "1001", commandId: cmd.id, ok: true, callId: "c9" },
      { kind: "dialing", time: now(), dn: "1001", callId: "c9", otherDN: "1002", callType: 1 },
    );
    resultApplied();
    const made = await making;
    expect(made.status).toBe(200);
    expect(made.body.event).toMatchObject({ event: "EventDialing", thisDN: "1001", referenceID: made.body.referenceID });
    void p;
    await stream.close();
    await agent.close();
  });

  it("two requests waiting for the same event are both answered by it", async () => {
    const { agent, request, stream } = await setup("twohold", 1);
    await established(agent);
    const first = request({ request: "RequestHoldCall", thisDN: "1001" });
    const second = request({ request: "RequestHoldCall", thisDN: "1001" });
    const c1 = await agent.nextCommand();
    const c2 = await agent.nextCommand();
    await agent.send(
      { kind: "result", time: now(), dn: "1001", commandId: c1.id, ok: true },
      { kind: "result", time: now(), dn: "1001", commandId: c2.id, ok: true },
      { kind: "held", time: now(), dn: "1001", callId: "c1" },
    );
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.event).toMatchObject({ event: "EventHeld", referenceID: a.body.referenceID });
    expect(b.body.event).toMatchObject({ event: "EventHeld", referenceID: b.body.referenceID });
    await stream.close();
    await agent.close();
  });

  it("fail at once with 54 when the active agent goes before the switch answered (not at the timeout)", async () => {
    const p = await provision("agentgone", ["site-a"], phones);
    const primary = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "primary" });
    const backup = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "backup" });
    await primary.send({ kind: "link", time: now(), link: "link-1", up: true }, inService());
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
    await request({ request: "RequestRegisterAddress", thisDN: "1001" });
    const making = request({ request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    await primary.nextCommand();
    const started = Date.now();
    await primary.close();
    const made = await making;
    expect(made.status).toBe(422);
    expect(made.body.event).toMatchObject({ event: "EventError", errorCode: 54 });
    expect(Date.now() - started).toBeLessThan(5000); // request-timeout is 10 s
    await backup.close();
  });
});

describe("user data", { timeout: 20_000 }, () => {
  it("a call released while its user data changed stays released", async () => {
    const { agent, request, stream } = await setup("attachrace");
    await established(agent);
    const connID = await connIdFor("attachrace", "site-a", "c1");
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let entered = false;
    await wrap<Call>(env.CALL, `attachrace/site-a/call/${connID}`, "change", async (original, _self, args) => {
      entered = true;
      await gate;
      return original(...args);
    });
    const attaching = request({ request: "RequestAttachUserData", thisDN: "1002", connID, userData: { k: "v" } });
    await until(() => entered, "the Call object to be asked");
    await agent.send({ kind: "released", time: now(), dn: "1002", callId: "c1", cause: "normal" });
    open();
    const attached = await attaching;
    expect(attached.status).toBe(422);
    expect(attached.body.event).toMatchObject({ event: "EventError", errorCode: 56 });
    const q = await request({ request: "RequestQueryAddress", thisDN: "1002" });
    expect(q.body.event.calls).toEqual([]);
    await stream.close();
    await agent.close();
  });

  it("is bounded: an attach that would make it too large gets EventError 53, and the call goes on", async () => {
    const { agent, request, stream } = await setup("bigdata");
    await established(agent);
    const connID = await connIdFor("bigdata", "site-a", "c1");
    const big = await request({ request: "RequestAttachUserData", thisDN: "1001", connID, userData: { blob: "x".repeat(20_000) } });
    expect(big.status).toBe(422);
    expect(big.body.event).toMatchObject({ event: "EventError", errorCode: 53, errorMessage: expect.stringContaining("limit is 16384") });
    const small = await request({ request: "RequestAttachUserData", thisDN: "1001", connID, userData: { account: "42" } });
    expect(small.body.event).toMatchObject({ event: "EventAttachedDataChanged", userData: { account: "42" } });
    await stream.close();
    await agent.close();
  });
});

describe("an agent that reconnects", { timeout: 20_000 }, () => {
  it("is asked to resync, so DN state converges although its switch links never went down", async () => {
    const { p, agent, request, stream } = await setup("reconnect");
    await agent.close();
    await until(() => stream.events.some((e) => e.event === "EventLinkDisconnected"), "the link down");
    const again = await FakeAgent.connect("site-a", p.link["site-a"]!);
    await until(() => again.received.some((m) => m.t === "resync"), "a resync request");
    expect((await request({ request: "RequestQueryAddress", thisDN: "1001" })).body.event.inService).toBe(false);
    await again.resend(3, inService());
    expect((await request({ request: "RequestQueryAddress", thisDN: "1001" })).body.event.inService).toBe(true);
    await stream.close();
    await again.close();
  });
});
