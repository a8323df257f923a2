// Keys and secrets (issue 12): where a key may travel, what revocation cuts, what an unknown key can
// create (nothing), whose sessions a key reaches, rate limits, and secrets that survive a GET -> PUT.
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const worker = (exports as unknown as { default: { fetch: (input: string, init?: RequestInit) => Promise<Response> } }).default;
const tablesOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_i, state) =>
  state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray());

describe("where a key is accepted", { timeout: 20_000 }, () => {
  it("?access_token= opens the event stream (browsers) and nothing else", async () => {
    const p = await provision("querykey", ["site-a"]);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const upgrade = await worker.fetch(`http://tserver.test/v1/sessions/${sessionId}/events?access_token=${encodeURIComponent(p.client)}`, { headers: { upgrade: "websocket" } });
    expect(upgrade.status).toBe(101);
    upgrade.webSocket!.accept();
    upgrade.webSocket!.close(1000);
    const plain = (path: string, init: RequestInit = {}) => worker.fetch(`http://tserver.test${path}${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(p.client)}`, init);
    expect((await plain(`/v1/sessions/${sessionId}`)).status).toBe(401);
    expect((await plain("/v1/sites/site-a/requests", { method: "POST", body: JSON.stringify({ sessionId, request: "RequestQueryAddress", thisDN: "1" }) })).status).toBe(401);
    expect((await worker.fetch(`http://tserver.test/v1/tenants/querykey/keys?access_token=${ADMIN}`)).status).toBe(401);
  });
});

describe("revoking a key", { timeout: 20_000 }, () => {
  it("ends the sessions the client key opened and closes their sockets", async () => {
    const p = await provision("revokeclient", ["site-a"], { "site-a": [{ number: "1001" }] });
    const issued = (await api("POST", "/v1/tenants/revokeclient/keys", ADMIN, { role: "client" })).body;
    const { sessionId } = (await api("POST", "/v1/sessions", issued.key, {})).body;
    expect((await api("POST", "/v1/sites/site-a/requests", issued.key, { sessionId, request: "RequestRegisterAddress", thisDN: "1001" })).status).toBe(200);
    const stream = await EventStream.open(sessionId, issued.key, 0);
    let closed: number | null = null;
    stream.ws.addEventListener("close", (e) => { closed = e.code; });
    expect((await api("DELETE", `/v1/tenants/revokeclient/keys/${issued.id}`, ADMIN)).status).toBe(204);
    await until(() => closed !== null, "the session's socket to close");
    expect(closed).toBe(4001);
    // the DN forgot the session, and the session keeps nothing
    const registered = await runInDurableObject(env.DN.getByName("revokeclient/site-a/1001"), (_i, state) => state.storage.sql.exec("SELECT session_id FROM registrations").toArray());
    expect(registered).toEqual([]);
    expect(await tablesOf(env.SESSION.getByName(`revokeclient/${sessionId}`))).toEqual([]);
    void p;
  });

  it("closes the sockets of the link agents that used the link key", async () => {
    const p = await provision("revokelink", ["site-a"], { "site-a": [{ number: "1001" }] });
    const issued = (await api("POST", "/v1/tenants/revokelink/keys", ADMIN, { role: "link", site: "site-a" })).body;
    const agent = await FakeAgent.connect("site-a", issued.key);
    await agent.send({ kind: "link", time: now(), link: "link-1", up: true });
    expect((await api("DELETE", `/v1/tenants/revokelink/keys/${issued.id}`, ADMIN)).status).toBe(204);
    await until(() => agent.closedWith !== null, "the agent's socket to close");
    expect(agent.closedWith).toBe(4401);
    expect((await api("GET", "/v1/sites/site-a", p.client)).body).toMatchObject({ linkUp: false, activeAgent: null });
  });
});

describe("no storage without a valid credential", { timeout: 20_000 }, () => {
  it("a well-formed key of an unknown tenant creates nothing", async () => {
    expect((await api("GET", "/v1/sites/site-a/dns", "nosuchtenant.k1.secret")).status).toBe(401);
    expect((await api("POST", "/v1/sessions", "nosuchtenant2.k1.secret", {})).status).toBe(401);
    expect(await tablesOf(env.TENANT.getByName("nosuchtenant"))).toEqual([]);
    expect(await tablesOf(env.TENANT.getByName("nosuchtenant2"))).toEqual([]);
  });

  it("a client key cannot create Session storage for ids it makes up, nor reach another key's session", async () => {
    const p = await provision("sessionids", ["site-a"], { "site-a": [{ number: "1001" }] });
    for (const [method, path, body] of [
      ["GET", "/v1/sessions/made-up-1", undefined], ["DELETE", "/v1/sessions/made-up-2", undefined],
      ["POST", "/v1/sites/site-a/requests", { sessionId: "made-up-3", request: "RequestRegisterAddress", thisDN: "1001" }],
    ] as const) expect((await api(method, path, p.client, body)).status).toBe(404);
    const ws = await worker.fetch("http://tserver.test/v1/sessions/made-up-4/events", { headers: { upgrade: "websocket", authorization: `Bearer ${p.client}` } });
    expect(ws.status).toBe(404);
    for (const id of ["made-up-1", "made-up-2", "made-up-3", "made-up-4"]) expect(await tablesOf(env.SESSION.getByName(`sessionids/${id}`))).toEqual([]);

    // a session answers the key that created it only
    const other = (await api("POST", "/v1/tenants/sessionids/keys", ADMIN, { role: "client" })).body.key as string;
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    expect((await api("GET", `/v1/sessions/${sessionId}`, other)).status).toBe(404);
    expect((await api("POST", "/v1/sites/site-a/requests", other, { sessionId, request: "RequestRegisterAddress", thisDN: "1001" })).status).toBe(404);
    const theirs = await worker.fetch(`http://tserver.test/v1/sessions/${sessionId}/events`, { headers: { upgrade: "websocket", authorization: `Bearer ${other}` } });
    expect(theirs.status).toBe(404);
    expect((await api("DELETE", `/v1/sessions/${sessionId}`, other)).status).toBe(404);
    expect((await api("GET", `/v1/sessions/${sessionId}`, p.client)).status).toBe(200);
  });

  it("an ended session is deleted: its storage goes and its DNs forget it", async () => {
    const p = await provision("ended", ["site-a"], { "site-a": [{ number: "1001" }] });
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestRegisterAddress", thisDN: "1001" });
    expect((await api("DELETE", `/v1/sessions/${sessionId}`, p.client)).status).toBe(204);
    expect(await tablesOf(env.SESSION.getByName(`ended/${sessionId}`))).toEqual([]);
    const registered = await runInDurableObject(env.DN.getByName("ended/site-a/1001"), (_i, state) => state.storage.sql.exec("SELECT session_id FROM registrations").toArray());
    expect(registered).toEqual([]);
    expect((await api("GET", `/v1/sessions/${sessionId}`, p.client)).status).toBe(404);
  });
});

describe("rate limits", { timeout: 30_000 }, () => {
  it("wrong secrets for one key id get 429 with Retry-After after 20 a minute; the right secret still works", async () => {
    const p = await provision("guessing", ["site-a"]);
    const [tenant, id] = p.config.split(".");
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 22; i++) {
      const res = await worker.fetch("http://tserver.test/v1/sites/site-a/dns", { headers: { authorization: `Bearer ${tenant}.${id}.wrong-${i}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      await res.text();
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(retryAfter).toBe("60");
    expect((await api("GET", "/v1/sites/site-a/dns", p.config)).status).toBe(200);
  });
});

describe("options", { timeout: 20_000 }, () => {
  it("a GET -> PUT round trip keeps the secret instead of storing the mask", async () => {
    const p = await provision("mask", ["site-a"]);
    await api("PUT", "/v1/sites/site-a/options/link-tls", p.config, { password: "keystore-secret", "tls-cert-path": "/var/lib/agent" });
    const read = (await api("GET", "/v1/sites/site-a/options/link-tls", p.config)).body;
    expect(read.password).toBe("********");
    expect((await api("PUT", "/v1/sites/site-a/options/link-tls", p.config, Object.fromEntries(Object.entries(read).filter(([, v]) => v !== "")))).status).toBe(200);
    const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
    expect(agent.welcome.options["link-tls"]).toMatchObject({ password: "keystore-secret" });
    await agent.close();
  });

  it("sections named __proto__ or constructor, and bodies nested thousands deep, get a clear 4xx", async () => {
    const p = await provision("proto", ["site-a"]);
    for (const section of ["__proto__", "constructor", "hasOwnProperty"]) {
      expect((await api("GET", `/v1/sites/site-a/options/${section}`, p.config)).status).toBe(404);
      expect((await api("PUT", `/v1/sites/site-a/options/${section}`, p.config, { a: "b" })).status).toBe(400);
    }
    expect((await api("PUT", "/v1/sites/site-a/options/TServer", p.config, '{"__proto__":{"request-timeout":"1"}}')).status).toBe(400);
    const deep = `{"sessionId":"x","request":"RequestAttachUserData","thisDN":"1001","userData":${"{\"a\":".repeat(3000)}1${"}".repeat(3000)}}`;
    const r = await api("POST", "/v1/sites/site-a/requests", p.client, deep);
    expect(r.status).toBe(400);
    expect(r.body.event.errorMessage).toContain("deeper than 16");
  });
});

describe("client sockets", { timeout: 20_000 }, () => {
  it("a socket that stays silent (no ping) for 90 s is closed 4408, and the session ends after its grace", async () => {
    const p = await provision("silent", ["site-a"]);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const stream = await EventStream.open(sessionId, p.client, 0);
    let closed: number | null = null;
    stream.ws.addEventListener("close", (e) => { closed = e.code; });
    const stub = env.SESSION.getByName(`silent/${sessionId}`);
    // as if 100 s had passed since the socket opened, without a ping
    await runInDurableObject(stub, (_i, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ acceptedAt: Date.now() - 100_000 });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await until(() => closed !== null, "the silent socket to close");
    expect(closed).toBe(4408);
    await runDurableObjectAlarm(stub); // the grace (10 s) has its own alarm
    expect((await api("GET", `/v1/sessions/${sessionId}`, p.client)).status).toBe(404);
  });
});
