// The event path's guarantees (issue 12): no acknowledged event is lost, none is applied twice, and
// request-path events never overtake the switch events of the same call.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";
import type { Session } from "../src/objects/session.js";
import type { Site } from "../src/objects/site.js";

const phones = { "site-a": [{ number: "1001" }, { number: "1002" }] };
const inService = { kind: "snapshot" as const, time: now(), dns: ["1001", "1002"].map((dn) => ({ dn, kind: "phone" as const, inService: true, calls: [] })) };

async function setup(tenant: string, sessions = 1) {
  const p = await provision(tenant, ["site-a"], phones);
  const agent = await FakeAgent.connect("site-a", p.link["site-a"]!);
  await agent.send({ kind: "link", time: now(), link: "link-1", up: true }, inService);
  const clients = [];
  for (let i = 0; i < sessions; i++) {
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
    expect((await request({ request: "RequestRegisterAddress", thisDN: "1001" })).status).toBe(200);
    expect((await request({ request: "RequestRegisterAddress", thisDN: "1002" })).status).toBe(200);
    clients.push({ sessionId, request, stream: await EventStream.open(sessionId, p.client, 0) });
  }
  return { p, agent, clients };
}

/** Makes a Session's next deliveries (that `when` picks) fail, as a crashed or overloaded object would. */
async function failDeliveries(tenant: string, sessionId: string, when: (events: Array<{ event: string }>) => boolean, times = 1) {
  // RPC calls prototype methods: the patch goes there, for this one instance
  await runInDurableObject(env.SESSION.getByName(`${tenant}/${sessionId}`), (instance: Session) => {
    const proto = Object.getPrototypeOf(instance) as Session;
    const original = proto.deliver;
    let left = times;
    proto.deliver = function (this: Session, events, from) {
      if (this === instance && left > 0 && when(events)) {
        left--;
        if (left === 0) proto.deliver = original;
        throw new Error("injected: session storage unavailable");
      }
      return original.call(this, events, from);
    } as Session["deliver"];
  });
}

const names = (s: EventStream) => s.events.map((e) => `${e.event}:${e.thisDN ?? ""}`);

describe("a batch the control plane could not finish", { timeout: 20_000 }, () => {
  it("is not acknowledged; the resend reaches every session exactly once", async () => {
    const { p, agent, clients } = await setup("nolose", 2);
    const [a, b] = clients as [typeof clients[0], typeof clients[0]];
    await a.stream.waitFor(2);
    await b.stream.waitFor(2);
    // session b cannot store: the Dn objects and session a took the batch, the Site must not ack it
    await failDeliveries("nolose", b.sessionId, (evs) => evs.some((e) => e.event === "EventDialing"));
    const batch = [
      { kind: "dialing" as const, time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "ringing" as const, time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
    ];
    const { from, upTo } = agent.push(...batch);
    await until(() => agent.closedWith !== null, "the Site to close the uplink after the failed batch");
    expect(agent.closedWith).toBe(1011);
    expect(agent.received.some((m) => m.t === "ack" && m.upTo >= from)).toBe(false);
    expect(agent.received.find((m) => m.t === "error")).toMatchObject({ message: expect.stringContaining(`could not apply events from ${from}`) });

    // the agent reconnects with the same stream, resumes after what was applied, and resends
    const again = await FakeAgent.connect("site-a", p.link["site-a"]!, { stream: "stream-1" });
    expect(again.welcome.resumeAfter).toBe(from - 1);
    await again.resend(from, ...batch);
    expect(again.received.some((m) => m.t === "ack" && m.upTo === upTo)).toBe(true);
    await until(() => b.stream.events.some((e) => e.event === "EventRinging"), "session b's EventRinging");
    // neither session sees an event twice, and the Dn objects did not apply the batch twice (the link
    // events are the uplink's reconnect: the Site closed it)
    const calls = (s: EventStream) => names(s).filter((n) => !/Link|Service/.test(n));
    expect(calls(a.stream)).toEqual(["EventRegistered:1001", "EventRegistered:1002", "EventDialing:1001", "EventRinging:1002"]);
    expect(calls(b.stream)).toEqual(["EventRegistered:1001", "EventRegistered:1002", "EventDialing:1001", "EventRinging:1002"]);
    const q = await a.request({ request: "RequestQueryAddress", thisDN: "1001" });
    expect(q.body.event.calls).toHaveLength(1);
    await a.stream.close();
    await b.stream.close();
    await again.close();
  });

  it("a resent batch that was fully applied (the ack was lost) emits nothing twice", async () => {
    const { agent, clients } = await setup("noduplicate");
    const [a] = clients as [typeof clients[0]];
    await a.stream.waitFor(2);
    const batch = [
      { kind: "dialing" as const, time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "ringing" as const, time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
      { kind: "busy" as const, time: now(), dn: "1001", callId: "c1", otherDN: "1002" },
    ];
    const { from } = agent.push(...batch);
    await a.stream.waitFor(5);
    // the Site's own stream position is lost (a restart between the Dn/Session writes and its own), the agent resends
    await runInDurableObject(env.SITE.getByName("noduplicate/site-a"), (_s: Site, state) => {
      state.storage.sql.exec("UPDATE streams SET last_applied = ?", from - 1);
    });
    await agent.resend(from, ...batch);
    await agent.send({ kind: "released", time: now(), dn: "1002", callId: "c1", cause: "normal" });
    await a.stream.waitFor(6);
    expect(names(a.stream)).toEqual(["EventRegistered:1001", "EventRegistered:1002", "EventDialing:1001", "EventRinging:1002", "EventDestinationBusy:1001", "EventReleased:1002"]);
    await a.stream.close();
    await agent.close();
  });

  it("a batch with an event this control plane cannot read is applied without it, acknowledged, and repaired by a resync", async () => {
    const { agent, clients } = await setup("unreadable");
    const [a] = clients as [typeof clients[0]];
    await a.stream.waitFor(2);
    const { upTo } = agent.push(
      { kind: "dialing", time: now(), dn: "1001", callId: "c1", otherDN: "1002", callType: 1 },
      { kind: "teleport", time: now(), dn: "1002" },
      { kind: "ringing", time: now(), dn: "1002", callId: "c1", otherDN: "1001", callType: 1 },
    );
    const ack = await until(() => agent.received.findIndex((m) => m.t === "ack" && m.upTo === upTo) + 1, "the ack of the whole batch");
    // the resync comes with the ack: the snapshot repairs what the dropped event said
    expect(agent.received[ack - 2]).toEqual({ t: "resync" });
    await a.stream.waitFor(4);
    expect(names(a.stream).slice(2)).toEqual(["EventDialing:1001", "EventRinging:1002"]);
    await a.stream.close();
    await agent.close();
  });
});
