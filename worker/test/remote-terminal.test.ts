// Feature F3 in the control plane, against fake link agents on the real uplink: a remote terminal's
// service state, activation with REMOTE_DEST/REMOTE_NAME, takeover, who may deactivate, the refusals
// of jtapi-fidelity.md B.2 (4), and re-extension through a backup agent after a switchover.
import { describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import type { RemoteDestination } from "../../shared/uplink.js";
import { api, EventStream, FakeAgent, now, provision, until } from "./helpers.js";

const MOBILE_1 = { number: "0611000001", name: "mobile-1801" };
const rt = (active: RemoteDestination | null, mine: boolean) => ({ dn: "1801", kind: "remoteTerminal" as const, inService: true, remote: { active, mine, all: [MOBILE_1] }, calls: [] });
const phone = (dn: string) => ({ dn, kind: "phone" as const, inService: true, calls: [] });

async function setUp(tenant: string) {
  const p = await provision(tenant, ["site-a"], { "site-a": [{ number: "1801" }, { number: "1001" }, { number: "1002" }] });
  const agent = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "primary" });
  await agent.send({ kind: "snapshot", time: now(), dns: [rt(null, false), phone("1001"), phone("1002")] });
  const session = async (...dns: Array<[string, Record<string, string>?]>) => {
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const stream = await EventStream.open(sessionId, p.client, 0);
    const request = (body: Record<string, unknown>) => api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, ...body });
    for (const [thisDN, extensions] of dns) expect((await request({ request: "RequestRegisterAddress", thisDN, ...(extensions ? { extensions } : {}) })).status).toBe(200);
    return { sessionId, stream, request };
  };
  return { p, agent, session };
}

const names = (s: EventStream) => s.events.map((e) => e.event);
const last = (s: EventStream, name: string): Promise<TEvent> => until(() => [...s.events].reverse().find((e) => e.event === name), `${name} (have ${names(s).join(", ")})`);
const waitCount = (s: EventStream, n: number) => until(() => s.events.length >= n && s.events, `${n} events (have ${names(s).join(", ")})`);

describe("F3: extend and connect on a remote terminal", { timeout: 30_000 }, () => {
  it("activates, is taken over by the last client, and only the owner deactivates it", async () => {
    const { agent, session } = await setUp("f3-owner");
    const watcher = await session(["1801"]);
    const x = await session();
    // at start-up a remote terminal is out of service even though JTAPI says it is in service: no event
    expect(names(watcher.stream)).toEqual(["EventRegistered"]);
    expect((await watcher.request({ request: "RequestMakeCall", thisDN: "1801", otherDN: "1002" })).body.event.errorCode).toBe(58);

    const registered = await x.request({ request: "RequestRegisterAddress", thisDN: "1801", extensions: { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name } });
    expect(registered.body.event).toMatchObject({ event: "EventRegistered", thisDN: "1801" });
    const set = await agent.nextCommand();
    expect(set).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: MOBILE_1.number, name: MOBILE_1.name, active: true });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: set.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: true });
    for (const s of [watcher, x]) {
      expect(await last(s.stream, "EventDNBackInService")).toMatchObject({ thisDN: "1801", extensions: { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name } });
    }
    // answered only at the mobile
    expect((await x.request({ request: "RequestAnswerCall", thisDN: "1801" })).body.event).toMatchObject({ event: "EventError", errorCode: 51 });

    // takeover: the last one decides; REMOTE_NAME defaults to REMOTE_DEST; no EventDNOutOfService in between
    const y = await session(["1801", { REMOTE_DEST: "0611000002" }]);
    const take = await agent.nextCommand();
    expect(take).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: "0611000002", name: "0611000002", active: true });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: take.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: null, mine: false });
    await agent.send({ kind: "remoteDestination", time: now(), dn: "1801", active: { number: "0611000002", name: "0611000002" }, mine: true });
    for (const s of [watcher, x, y]) {
      expect(await last(s.stream, "EventDNBackInService")).toMatchObject({ extensions: { REMOTE_DEST: "0611000002", REMOTE_NAME: "0611000002" } });
    }
    expect(names(watcher.stream)).toEqual(["EventRegistered", "EventError", "EventDNBackInService", "EventDNBackInService"]);

    // a non-owner leaving changes nothing
    expect((await x.request({ request: "RequestUnregisterAddress", thisDN: "1801" })).body.event.event).toBe("EventUnregistered");
    // the owner leaving deactivates: the rest hear EventDNOutOfService
    expect((await y.request({ request: "RequestUnregisterAddress", thisDN: "1801" })).body.event.event).toBe("EventUnregistered");
    const off = await agent.nextCommand();
    expect(off).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: "0611000002", active: false });
    expect(await last(watcher.stream, "EventDNOutOfService")).toMatchObject({ thisDN: "1801" });
    expect(names(watcher.stream)).toEqual(["EventRegistered", "EventError", "EventDNBackInService", "EventDNBackInService", "EventDNOutOfService"]);
    expect(names(x.stream)).toEqual(["EventRegistered", "EventDNBackInService", "EventError", "EventDNBackInService", "EventUnregistered"]);
    expect(names(y.stream)).toEqual(["EventRegistered", "EventDNBackInService", "EventUnregistered"]);
    expect(agent.received.filter((m) => m.t === "command")).toEqual([]);
    await agent.close();
  });

  it("deactivates when the owner's session ends, reports the switch's refusal, and refuses bad extensions", async () => {
    const { p, agent, session } = await setUp("f3-refusals");
    const watcher = await session(["1801"]);
    const owner = await session(["1801", { REMOTE_DEST: MOBILE_1.number }]);
    const set = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: set.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: { number: MOBILE_1.number, name: MOBILE_1.number }, mine: true });
    await last(watcher.stream, "EventDNBackInService");
    // RequestMakeCall from the remote terminal: EventDialing names the number asked for before the switch does
    const make = owner.request({ request: "RequestMakeCall", thisDN: "1801", otherDN: "1002" });
    const cmd = await agent.nextCommand();
    expect(cmd).toMatchObject({ op: "makeCall", dn: "1801", otherDN: "1002" });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: cmd.id, ok: true, callId: "r1" }, { kind: "dialing", time: now(), dn: "1801", callId: "r1", callType: 1 });
    expect((await make).body.event).toMatchObject({ event: "EventDialing", thisDN: "1801", otherDN: "1002", dnis: "1002", thisDNRole: 1 });
    await agent.send({ kind: "released", time: now(), dn: "1801", callId: "r1", cause: "normal" });

    // the owner's session ends (client-disconnect-grace passed, or deleted): deactivated
    expect((await api("DELETE", `/v1/sessions/${owner.sessionId}`, p.client)).status).toBeLessThan(300);
    const off = await agent.nextCommand();
    expect(off).toMatchObject({ op: "setRemoteDestination", otherDN: MOBILE_1.number, active: false });
    expect(await last(watcher.stream, "EventDNOutOfService")).toMatchObject({ thisDN: "1801" });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: off.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: null, mine: false });

    // the switch refuses: EventHardwareError with the remote extensions, to every client of the DN
    await watcher.request({ request: "RequestRegisterAddress", thisDN: "1801", extensions: { REMOTE_DEST: "0611000009", REMOTE_NAME: "spare" } });
    const refused = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: refused.id, ok: false, errorCode: 42, errorMessage: "PlatformException (CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED)" });
    expect(await last(watcher.stream, "EventHardwareError")).toMatchObject({ thisDN: "1801", errorCode: 42, errorMessage: expect.stringContaining("LIMIT"), extensions: { REMOTE_DEST: "0611000009", REMOTE_NAME: "spare" } });

    const code = async (thisDN: string, extensions: Record<string, unknown>) => (await watcher.request({ request: "RequestRegisterAddress", thisDN, extensions })).body.event.errorCode;
    expect(await code("1001", { REMOTE_DEST: "0611000001" })).toBe(53);
    expect(await code("1801", { REMOTE_DEST: "mobile" })).toBe(53);
    expect(await code("1801", { REMOTE_NAME: "no number" })).toBe(53);
    expect(await code("1801", { REMOTE_DEST: "0611000001", REMOTE_NAME: "x".repeat(51) })).toBe(53);
    expect(agent.received.filter((m) => m.t === "command")).toEqual([]);
    await agent.close();
  });

  it("goes out of service on a switchover and back in through the new agent, same owner", async () => {
    const { p, agent, session } = await setUp("f3-ha");
    const backup = await FakeAgent.connect("site-a", p.link["site-a"]!, { agentId: "backup", stream: "backup-1" });
    const owner = await session(["1801", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }]);
    const set = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: set.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: true });
    await last(owner.stream, "EventDNBackInService");
    // the standby hears the change as "not mine": not applied
    await backup.send({ kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: false });

    await agent.close();
    await until(() => backup.received.some((m) => m.t === "resync"), "the backup asked to resync");
    await backup.send({ kind: "snapshot", time: now(), dns: [rt(MOBILE_1, false), phone("1001"), phone("1002")] });
    const again = await backup.nextCommand();
    expect(again).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: MOBILE_1.number, name: MOBILE_1.name, active: true });
    await backup.send({ kind: "result", time: now(), dn: "1801", commandId: again.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: true });
    await waitCount(owner.stream, 4);
    expect(owner.stream.events.map((e) => [e.event, e.extensions ?? null])).toEqual([
      ["EventRegistered", null],
      ["EventDNBackInService", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }],
      ["EventDNOutOfService", null],
      ["EventDNBackInService", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }],
    ]);
    // still the owner: its unregister deactivates through the backup
    await owner.request({ request: "RequestUnregisterAddress", thisDN: "1801" });
    expect(await backup.nextCommand()).toMatchObject({ op: "setRemoteDestination", active: false });
    await backup.close();
  });

  it("JTAPI back in service with the destination cleared: the Dn sets it again after request-timeout (not before: JTAPI may do it itself)", async () => {
    const { p, agent, session } = await setUp("f3-jtapi-oos");
    expect((await api("PUT", "/v1/sites/site-a/options/TServer", p.config, { "request-timeout": "1" })).status).toBe(200);
    const owner = await session(["1801", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }]);
    const set = await agent.nextCommand();
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: set.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: true });
    await last(owner.stream, "EventDNBackInService");
    // the terminal goes out of service, and the switch clears its destination meanwhile
    await agent.send({ kind: "service", time: now(), dn: "1801", inService: false }, { kind: "remoteDestination", time: now(), dn: "1801", active: null, mine: false });
    await last(owner.stream, "EventDNOutOfService");
    const backAt = Date.now();
    await agent.send({ kind: "service", time: now(), dn: "1801", inService: true });
    const again = await agent.nextCommand();
    expect(Date.now() - backAt).toBeGreaterThanOrEqual(1_000);
    expect(again).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: MOBILE_1.number, name: MOBILE_1.name, active: true });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: again.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: MOBILE_1, mine: true });
    await waitCount(owner.stream, 4);
    expect(owner.stream.events.map((e) => [e.event, e.extensions ?? null])).toEqual([
      ["EventRegistered", null],
      ["EventDNBackInService", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }],
      ["EventDNOutOfService", null],
      ["EventDNBackInService", { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.name }],
    ]);
    await agent.close();
  });

  it("activation without a link: EventHardwareError 54, applied when the link comes back", async () => {
    const { agent, session } = await setUp("f3-nolink");
    await agent.send({ kind: "link", time: now(), link: "link-1", up: false });
    const owner = await session(["1801", { REMOTE_DEST: MOBILE_1.number }]);
    expect(await last(owner.stream, "EventHardwareError")).toMatchObject({ errorCode: 54, extensions: { REMOTE_DEST: MOBILE_1.number, REMOTE_NAME: MOBILE_1.number } });
    await agent.send({ kind: "link", time: now(), link: "link-1", up: true }, { kind: "snapshot", time: now(), dns: [rt(null, false)] });
    const set = await agent.nextCommand();
    expect(set).toMatchObject({ op: "setRemoteDestination", otherDN: MOBILE_1.number, active: true });
    await agent.send({ kind: "result", time: now(), dn: "1801", commandId: set.id, ok: true }, { kind: "remoteDestination", time: now(), dn: "1801", active: { number: MOBILE_1.number, name: MOBILE_1.number }, mine: true });
    expect(await last(owner.stream, "EventDNBackInService")).toMatchObject({ extensions: { REMOTE_DEST: MOBILE_1.number } });
    await agent.close();
  });

  it("deactivates an orphan extension: set by us, owned by nobody (storage reset)", async () => {
    const { agent } = await setUp("f3-orphan");
    await agent.send({ kind: "snapshot", time: now(), dns: [rt(MOBILE_1, true)] });
    expect(await agent.nextCommand()).toMatchObject({ op: "setRemoteDestination", dn: "1801", otherDN: MOBILE_1.number, name: MOBILE_1.name, active: false });
    // set by another application: not ours to touch
    await agent.send({ kind: "snapshot", time: now(), dns: [rt(MOBILE_1, false)] });
    await agent.send({ kind: "snapshot", time: now(), dns: [rt(null, false)] });
    expect(agent.received.filter((m) => m.t === "command")).toEqual([]);
    await agent.close();
  });
});
