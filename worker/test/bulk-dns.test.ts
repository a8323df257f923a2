// Bulk DN provisioning and idle DNs: many DN objects in one request and one resync; idle DNs (no
// session, no call) get no Dn object, not even from a snapshot or a link change; they start on first need.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const numbers = Array.from({ length: 2500 }, (_, i) => String(500000 + i));
const dnTables = (number: string) => runInDurableObject(env.DN.getByName(`bulk/site-a/${number}`), (_dn, state) =>
  state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray());

describe("bulk DN provisioning", () => {
  it("refuses a malformed list, naming the entry", async () => {
    const p = await provision("bulkbad", ["site-a"]);
    expect((await api("PUT", "/v1/sites/site-a/dns", p.config, { dns: [] })).status).toBe(400);
    const bad = await api("PUT", "/v1/sites/site-a/dns", p.config, { dns: [{ number: "1001", type: "Extension" }, { number: "1002", type: "Phone" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^dns\[1\] \(1002\): type/);
    const twice = await api("PUT", "/v1/sites/site-a/dns", p.config, { dns: [{ number: "1001", type: "Extension" }, { number: "1001", type: "Extension" }] });
    expect(twice.body.error).toBe("dns[1].number: 1001 is listed twice");
    expect((await api("PUT", "/v1/sites/site-a/dns", p.client, { dns: [{ number: "1001", type: "Extension" }] })).status).toBe(403);
    // nothing of a refused list was stored
    expect((await api("GET", "/v1/sites/site-a/dns", p.config)).body).toEqual({ dns: [] });
  });

  it("creates 2,500 DNs in one request with one resync, lists them in pages, and starts a DN's object only when it is needed", async () => {
    const p = await provision("bulk", ["site-a"]);
    const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
    await agent.send({ kind: "link", time: now(), link: "link-1", up: true });
    const put = await api("PUT", "/v1/sites/site-a/dns", p.config, { dns: numbers.map((number) => ({ number, type: "Extension" })) });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ created: 2500, replaced: 0 });
    await until(() => agent.received.some((m) => m.t === "resync"), "the resync");

    const first = (await api("GET", "/v1/sites/site-a/dns?limit=1000", p.config)).body;
    expect(first.dns).toHaveLength(1000);
    expect(first.dns[0]).toEqual({ number: "500000", type: "Extension" });
    const second = (await api("GET", `/v1/sites/site-a/dns?limit=1000&after=${first.next}`, p.config)).body;
    const third = (await api("GET", `/v1/sites/site-a/dns?limit=1000&after=${second.next}`, p.config)).body;
    expect([...first.dns, ...second.dns, ...third.dns].map((d: { number: string }) => d.number)).toEqual(numbers);
    expect(third.next).toBeNull();
    expect((await api("GET", "/v1/sites/site-a/dns/500007", p.config)).body).toEqual({ number: "500007", type: "Extension" });
    const again = await api("PUT", "/v1/sites/site-a/dns", p.config, { dns: [{ number: "500007", type: "ACDPosition" }] });
    expect(again.body).toEqual({ created: 0, replaced: 1 });

    // the agent's answer: every line in service but one; no DN object is made for it
    await agent.send({ kind: "snapshot", time: now(), dns: numbers.map((dn) => ({ dn, kind: "phone" as const, inService: dn !== "500009", calls: [] })) });
    expect(await dnTables("500001")).toEqual([]);
    expect(agent.received.filter((m) => m.t === "resync")).toHaveLength(1);

    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const stream = await EventStream.open(sessionId, p.client);
    const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "500001" })).body.event.event).toBe("EventRegistered");
    expect((await request({ request: "RequestQueryAddress", thisDN: "500001" })).body.event).toMatchObject({ inService: true, addressType: 1 });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "500009" })).body.event.event).toBe("EventRegistered");
    expect((await request({ request: "RequestQueryAddress", thisDN: "500009" })).body.event).toMatchObject({ inService: false });
    expect((await request({ request: "RequestQueryAddress", thisDN: "500007" })).body.event).toMatchObject({ addressType: 1 });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "599999" })).body.event.errorCode).toBe(59);

    // a call reaching an idle DN starts its object; link down reaches the registered DNs' session once per DN
    await agent.send({ kind: "ringing", time: now(), dn: "500002", callId: "c1", otherDN: "500001", callType: 1 });
    expect((await dnTables("500002")).length).toBeGreaterThan(0);
    await agent.send({ kind: "link", time: now(), link: "link-1", up: false });
    await until(() => stream.events.filter((e) => e.event === "EventLinkDisconnected").length === 1, "EventLinkDisconnected");
    expect(await dnTables("500003")).toEqual([]);
    await stream.close();
    await agent.close();
  });
});
