// The Site's link agents: a standby takes over when the active one goes; unknown DNs leave nothing behind.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

describe("primary and backup link agents", () => {
  it("applies only the active agent's events; when it goes, the backup becomes active and is asked to resync", async () => {
    const p = await provision("ha", ["site-a"], { "site-a": [{ number: "1001" }] });
    const primary = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "primary" });
    const backup = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "backup" });
    expect(primary.welcome.active).toBe(true);
    expect(backup.welcome.active).toBe(false);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestRegisterAddress", thisDN: "1001" });
    const stream = await EventStream.open(sessionId, p.client, 0);
    await primary.send({ kind: "snapshot", time: now(), dns: [{ dn: "1001", kind: "phone", inService: true, calls: [] }] });
    // the standby's copy of the switch's events is acknowledged, not applied
    await backup.send({ kind: "service", time: now(), dn: "1001", inService: false });
    await stream.waitFor(2);

    await primary.close();
    await until(() => backup.received.some((m) => m.t === "role" && m.active) && backup.received.some((m) => m.t === "resync"), "the backup promoted and asked to resync");
    const status = (await api("GET", "/v1/sites/site-a", p.client)).body;
    expect(status).toMatchObject({ linkUp: true, activeAgent: "backup" });
    await backup.send({ kind: "service", time: now(), dn: "1001", inService: false });
    const events = await stream.waitFor(3);
    // the link never went down for the sessions: one switchover, no EventLinkDisconnected
    expect(events.map((e) => [e.event, e.thisDN])).toEqual([["EventRegistered", "1001"], ["EventDNBackInService", "1001"], ["EventDNOutOfService", "1001"]]);
    await stream.close();
    await backup.close();
  });
});

describe("unknown DNs", () => {
  it("a request for a number nobody configured gets 59 and creates no storage", async () => {
    const p = await provision("probe", ["site-a"]);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const r = await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestRegisterAddress", thisDN: "4444" });
    expect(r.body.event.errorCode).toBe(59);
    const tables = await runInDurableObject(env.DN.getByName("probe/site-a/4444"), (_dn, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray());
    expect(tables).toEqual([]);
  });
});
