// The whole agent between a fake control plane and a switch: the fake switch of these tests, then
// the real simulator (infra/ucm-sim) for a real call 1001 -> 1002.
import { afterEach, describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import type { SwitchEvent } from "../../shared/uplink.js";
import { parseConfig } from "../src/config.js";
import { type LinkAgent, startLinkAgent } from "../src/agent.js";
import { createLogger } from "../src/log.js";
import { startSimulator, type Simulator } from "../../infra/ucm-sim/src/index.js";
import { FakeControlPlane } from "./helpers/fake-control-plane.js";
import { FakeSwitch } from "./helpers/fake-switch.js";
import { call, phones } from "./helpers/jtapi.js";
import { capturedLog } from "./helpers/logs.js";
import { until } from "./helpers/wait.js";

let cp: FakeControlPlane | undefined;
let sw: FakeSwitch | undefined;
let sim: Simulator | undefined;
let agent: LinkAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  await Promise.all([cp?.close(), sw?.close(), sim?.stop()]);
  agent = cp = sw = sim = undefined;
});

function configFor(port: number, password = "secret") {
  return parseConfig({
    site: "site-a", agentId: "site-a-primary", controlPlane: { url: cp!.url, linkKey: "demo.k1.link-secret" },
    links: [{ name: "link-1", host: "127.0.0.1", port, user: "tserver", password }],
    batch: { maxEvents: 500, maxDelayMs: 1 }, optionsWaitMs: 5000,
  });
}

const applied = () => cp!.appliedEvents;
const ofKind = <K extends SwitchEvent["kind"]>(kind: K) => applied().filter((e): e is Extract<SwitchEvent, { kind: K }> => e.kind === kind);
/** What a test compares: kind and DN (and the command of a result). */
const facts = (events: SwitchEvent[]) => events.filter((e) => e.kind !== "link" && e.kind !== "snapshot").map((e) => (e.kind === "result" ? `result ${e.commandId} ${e.ok ? "ok" : e.errorCode}` : `${e.kind} ${(e as { dn: string }).dn}`));

describe("link agent with a fake switch", () => {
  it("streams link up and the snapshot, puts a command's result before the events it caused, and answers bad commands", async () => {
    cp = await FakeControlPlane.create();
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001", "1002"), calls: [] };
    const c = call("c1", "1001", "1002", ["1001", "1002"]);
    sw.answers.makeCall = () => ({ ok: true, result: { callId: "c1" } });
    sw.eventsAfter.makeCall = () => [...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002")];
    agent = startLinkAgent(configFor(sw.port), { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
    await until(() => ofKind("snapshot").length === 1, "link up and snapshot");
    expect(applied().slice(0, 2)).toMatchObject([
      { kind: "link", link: "link-1", up: true },
      { kind: "snapshot", dns: [{ dn: "1001", kind: "phone", inService: true, calls: [] }, { dn: "1002", kind: "phone", inService: true, calls: [] }] },
    ]);
    cp.send({ t: "command", id: "m1", op: "makeCall", dn: "1001", otherDN: "1002" });
    await until(() => ofKind("ringing").length === 1, "the call's events");
    cp.send({ t: "command", id: "bad", op: "teleport", dn: "1001" });
    cp.send({ t: "command", id: "nolink", op: "hold", dn: "4711", callId: "c1" });
    await until(() => ofKind("result").length === 3, "the refusals");
    expect(facts(applied())).toEqual(["result m1 ok", "dialing 1001", "ringing 1002", "result bad 51", "result nolink 54"]);
    expect(ofKind("result")[0]).toMatchObject({ dn: "1001", commandId: "m1", ok: true, callId: "c1" });
    expect(agent.status()).toMatchObject({ uplink: { connected: true, active: true }, links: [{ name: "link-1", up: true, tls: false }] });
  });

  it("tells the control plane a link went down, and on its return brings link up and a fresh snapshot; resync sends another", async () => {
    cp = await FakeControlPlane.create();
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001"), calls: [] };
    agent = startLinkAgent(configFor(sw.port), { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
    await until(() => ofKind("snapshot").length === 1, "up");
    sw.snapshot = { addresses: phones("1001"), calls: [{ callId: "c7", callingAddress: "1001", calledAddress: "2001", connections: [{ address: "1001", state: "ESTABLISHED", terminalState: "TALKING" }, { address: "2001", state: "ESTABLISHED" }] }] };
    sw.dropAll();
    await until(() => ofKind("snapshot").length === 2, "down and up again");
    expect(applied().map((e) => (e.kind === "link" ? `link ${e.up}` : e.kind))).toEqual(["link true", "snapshot", "link false", "link true", "snapshot"]);
    expect(ofKind("link")[1]).toMatchObject({ link: "link-1", up: false, reason: "the switch closed the link" });
    expect(ofKind("snapshot")[1]!.dns[0]!.calls).toEqual([{ callId: "c7", phase: "established", otherDN: "2001", role: 1, callType: 3 }]);
    cp.send({ t: "resync" });
    await until(() => ofKind("snapshot").length === 3, "resync snapshot");
  });

  it("pauses reading the switch while the uplink buffer is full, and loses nothing", async () => {
    cp = await FakeControlPlane.create();
    cp.autoAck = false;
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001"), calls: [] };
    const config = { ...configFor(sw.port), buffer: { maxEvents: 100 } };
    const { log, lines } = capturedLog();
    agent = startLinkAgent(config, { log, backoff: { minMs: 20, maxMs: 50 } });
    await until(() => agent!.status().links[0]?.up === true, "up");
    const flip = (i: number) => [{ id: i % 2 ? "CiscoAddrOutOfServiceEv" : "CiscoAddrInServiceEv", address: "1001", cause: 100, time: `t${i}` }];
    for (let i = 1; i <= 120; i++) sw.events(flip(i));
    await until(() => agent!.status().uplink.backpressure, "back-pressure");
    expect(lines.some((l) => l.msg.startsWith("uplink buffer full"))).toBe(true);
    expect(agent.status().uplink.buffered).toBeGreaterThanOrEqual(100);
    // the control plane catches up: it applies (and acks) what it was sent, and everything after
    cp.autoAck = true;
    for (const batch of cp.batches()) cp.apply(cp.last, batch);
    await until(() => ofKind("service").length === 120, "everything, once the pressure lifted");
    expect(ofKind("service").map((e) => e.time)).toEqual(Array.from({ length: 120 }, (_, i) => `t${i + 1}`));
    // relief comes with the acknowledgements, which reach the agent after the control plane applied the events
    await until(() => !agent!.status().uplink.backpressure, "back-pressure lifted");
    expect(lines.some((l) => l.msg.startsWith("uplink buffer has room again"))).toBe(true);
  });

  it("keeps secrets out of its logs", () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d) => (text += d));
    const log = createLogger("info", { site: "site-a" }, out);
    log.info({ password: "pw-1", linkKey: "key-1", links: [{ name: "link-1", password: "pw-2" }], controlPlane: { url: "u", linkKey: "key-2" }, section: { "tls-auth-code": "code-1" }, headers: { authorization: "Bearer key-3" } }, "config");
    expect(text).toContain("[secret]");
    for (const secret of ["pw-1", "pw-2", "key-1", "key-2", "key-3", "code-1"]) expect(text).not.toContain(secret);
  });
});

describe("link agent with the real simulator", () => {
  it("streams a real call 1001 -> 1002: dialing, ringing, established x2, released x2, each command's result first", async () => {
    sim = await startSimulator({
      config: {
        clusters: [{
          name: "site-a", numberPrefixes: ["1"], users: [{ user: "tserver", password: "sim-secret" }],
          devices: [{ dn: "1001", kind: "phone" }, { dn: "1002", kind: "phone" }],
        }],
      },
    });
    cp = await FakeControlPlane.create();
    agent = startLinkAgent(configFor(sim.clusters["site-a"]!.linkPort, "sim-secret"), { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
    await until(() => ofKind("snapshot").length === 1, "link up");
    expect(ofKind("snapshot")[0]!.dns.map((d) => d.dn)).toEqual(["1001", "1002"]);

    cp.send({ t: "command", id: "make", op: "makeCall", dn: "1001", otherDN: "1002" });
    await until(() => ofKind("ringing").length === 1, "ringing");
    const callId = ofKind("result")[0]!.callId!;
    expect(callId).toBeTruthy();
    cp.send({ t: "command", id: "answer", op: "answer", dn: "1002", callId });
    await until(() => ofKind("established").length === 2, "established on both");
    cp.send({ t: "command", id: "release", op: "release", dn: "1001", callId });
    await until(() => ofKind("released").length === 2, "released on both");

    expect(facts(applied())).toEqual([
      "result make ok", "dialing 1001", "ringing 1002",
      "result answer ok", "established 1002", "established 1001",
      "result release ok", "released 1001", "released 1002",
    ]);
    const calls = applied().filter((e) => e.kind !== "link" && e.kind !== "snapshot" && e.kind !== "result");
    expect(calls.every((e) => (e as { callId: string }).callId === callId)).toBe(true);
    expect(ofKind("dialing")[0]).toMatchObject({ dn: "1001", otherDN: "1002", callType: 1 });
    expect(ofKind("ringing")[0]).toMatchObject({ dn: "1002", otherDN: "1001", callType: 1 });
    expect(ofKind("established").map((e) => [e.dn, e.otherDN])).toEqual([["1002", "1001"], ["1001", "1002"]]);
    expect(ofKind("released").map((e) => e.cause)).toEqual(["normal", "normal"]);
  });
});
