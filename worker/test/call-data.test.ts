// A Call object (user data) exists only for calls that carry data: a plain call leaves no storage
// behind, the first attach creates it and reaches the other party, and it goes with the call.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const tables = (name: string) => runInDurableObject(env.CALL.getByName(name), (_call, state) =>
  state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray());
const dataCalls = () => runInDurableObject(env.SITE.getByName("calldata/site-a"), (_site, state) =>
  state.storage.sql.exec<{ conn_id: string }>("SELECT conn_id FROM data_calls").toArray().map((r) => r.conn_id));

async function eventually(check: () => Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the Call object of a call", () => {
  it("is never created for a call without user data, and is created by the first attach and deleted with the call", async () => {
    const p = await provision("calldata", ["site-a"], { "site-a": [{ number: "1001" }, { number: "1002" }] });
    const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
    await agent.send({ kind: "link", time: now(), link: "link-1", up: true }, {
      kind: "snapshot", time: now(), dns: ["1001", "1002"].map((dn) => ({ dn, kind: "phone" as const, inService: true, calls: [] })),
    });
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const stream = await EventStream.open(sessionId, p.client);
    const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
    await request({ request: "RequestRegisterAddress", thisDN: "1001" });
    await request({ request: "RequestRegisterAddress", thisDN: "1002" });
    const call = (callId: string) => [
      { kind: "dialing" as const, time: now(), dn: "1001", callId, otherDN: "1002", callType: 1 },
      { kind: "ringing" as const, time: now(), dn: "1002", callId, otherDN: "1001", callType: 1 },
    ];
    const released = (callId: string) => ["1001", "1002"].map((dn) => ({ kind: "released" as const, time: now(), dn, callId, cause: "normal" as const }));

    await agent.send(...call("plain"));
    const plain = (await until(() => stream.events.find((e) => e.event === "EventRinging"), "EventRinging")).connID!;
    await agent.send(...released("plain"));
    expect(await tables(`calldata/site-a/call/${plain}`)).toEqual([]);

    await agent.send(...call("with-data"));
    const ringing = await until(() => stream.events.find((e) => e.event === "EventRinging" && e.connID !== plain), "the second EventRinging");
    const connID = ringing.connID!;
    const attached = await request({ request: "RequestAttachUserData", thisDN: "1001", connID, userData: { CaseID: "C-7" } });
    expect(attached.body.event).toMatchObject({ event: "EventAttachedDataChanged", thisDN: "1001", connID, userData: { CaseID: "C-7" } });
    // the other party was named by the Site, not by a join of its own
    expect(await until(() => stream.events.find((e) => e.event === "EventAttachedDataChanged" && e.thisDN === "1002"), "the change at 1002"))
      .toMatchObject({ connID, thirdPartyDN: "1001", userData: { CaseID: "C-7" } });
    expect(await dataCalls()).toEqual([connID]);
    expect((await tables(`calldata/site-a/call/${connID}`)).length).toBeGreaterThan(0);

    await agent.send(...released("with-data"));
    await eventually(async () => (await dataCalls()).length === 0, "the Call object gone");
    expect(await tables(`calldata/site-a/call/${connID}`)).toEqual([]);
    await stream.close();
    await agent.close();
  });
});
