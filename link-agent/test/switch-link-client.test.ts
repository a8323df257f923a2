// The switch link client against a small fake switch (TCP, framed JSON): handshake, snapshot, events,
// requests and their timeout, keepalive, bad frames, reconnection, back-pressure.
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import type { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import { type SwitchAnswer, SwitchLinkClient, type SwitchLinkTiming } from "../src/switch-link-client.js";
import { FakeSwitch } from "./helpers/fake-switch.js";
import { capturedLog } from "./helpers/logs.js";
import { phones, T } from "./helpers/jtapi.js";
import { sleep, until } from "./helpers/wait.js";

let sw: FakeSwitch | undefined;
let client: SwitchLinkClient | undefined;
let raw: net.Server | undefined;
const rawSockets = new Set<net.Socket>();
afterEach(async () => {
  client?.stop();
  const closing = [sw?.close(), new Promise((r) => (raw ? raw.close(r) : r(null)))];
  for (const s of rawSockets) s.destroy();
  rawSockets.clear();
  sw = client = raw = undefined;
  await Promise.all(closing);
});

const event = (id: string, n = 0): JtapiEvent => ({ id, callId: `c${n}`, address: "1001", cause: 100, time: T });

function open(port: number, opts: { password?: string; timing?: Partial<SwitchLinkTiming> } = {}) {
  const captured = capturedLog();
  const seen = { ups: [] as Snapshot[], events: [] as JtapiEvent[], downs: [] as string[], order: [] as string[] };
  client = new SwitchLinkClient("link-1", {
    user: "tserver", password: opts.password ?? "secret", application: "link-agent test", connect: SwitchLinkClient.tcp("127.0.0.1", port), log: captured.log,
    timing: { backoff: { minMs: 20, maxMs: 50 }, ...opts.timing },
    handlers: {
      onUp: (s) => seen.ups.push(s),
      onEvents: (e) => { seen.events.push(...e); seen.order.push(...e.map((x) => x.id)); },
      onDown: (r) => seen.downs.push(r),
    },
  });
  client.start();
  return { ...seen, lines: captured.lines };
}

describe("switch link client", () => {
  it("says hello with the user's credentials, asks for the snapshot after welcome, then takes events", async () => {
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001", "1002"), calls: [] };
    const seen = open(sw.port);
    await until(() => seen.ups.length === 1, "link up");
    expect(sw.last.received[0]).toEqual({ type: "hello", protocol: 1, user: "tserver", password: "secret", application: "link-agent test", link: "link-1" });
    expect(sw.last.received[1]).toMatchObject({ type: "request", op: "snapshot" });
    expect(seen.ups[0]).toEqual(sw.snapshot);
    expect(client!.isUp).toBe(true);
    sw.events([event("CallActiveEv"), event("ConnCreatedEv")]);
    await until(() => seen.events.length === 2, "events");
    expect(seen.lines.some((l) => l.msg === "switch link up" && l.addresses === 2)).toBe(true);
    expect(JSON.stringify(seen.lines)).not.toContain("secret");
  });

  it("hands a request's answer over before the events that followed it in the same chunk", async () => {
    sw = await FakeSwitch.start();
    sw.answers.makeCall = () => ({ ok: true, result: { callId: "c1" } });
    sw.eventsAfter.makeCall = () => [event("CallActiveEv", 1)];
    const seen = open(sw.port);
    await until(() => client!.isUp, "up");
    const answer = await new Promise<SwitchAnswer>((resolve) => client!.requestThen({ op: "makeCall", from: "1001", to: "1002" }, (a) => {
      seen.order.push("answer");
      resolve(a);
    }));
    expect(answer).toEqual({ ok: true, result: { callId: "c1" } });
    await until(() => seen.order.length === 2, "event");
    expect(seen.order).toEqual(["answer", "CallActiveEv"]);
  });

  it("passes the switch's refusal through, and times a request out when the switch does not answer", async () => {
    sw = await FakeSwitch.start();
    sw.answers.hold = () => ({ ok: false, error: { exception: "InvalidStateException", message: "call c9 is not talking at DN 1001" } });
    sw.silentOps.add("answer");
    open(sw.port, { timing: { requestTimeoutMs: 150 } });
    await until(() => client!.isUp, "up");
    expect(await client!.request({ op: "hold", callId: "c9", address: "1001" })).toEqual({ ok: false, error: { exception: "InvalidStateException", message: "call c9 is not talking at DN 1001" } });
    const started = Date.now();
    const answer = await client!.request({ op: "answer", callId: "c9", address: "1001" });
    expect(answer).toMatchObject({ ok: false, error: { exception: "Timeout" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // a late answer is ignored, the link stays up
    const late = sw.last.received.find((m) => m.op === "answer");
    sw.last.send({ type: "response", id: late.id, ok: true, result: {} });
    await sleep(30);
    expect(client!.isUp).toBe(true);
  });

  it("fails the requests in flight when the link goes down, and refuses new ones while it is down", async () => {
    sw = await FakeSwitch.start();
    sw.silentOps.add("answer");
    const seen = open(sw.port, { timing: { backoff: { minMs: 2000, maxMs: 2000 } } });
    await until(() => client!.isUp, "up");
    const pending = client!.request({ op: "answer", callId: "c1", address: "1001" });
    sw.dropAll();
    expect(await pending).toMatchObject({ ok: false, error: { exception: "LinkDown" } });
    await until(() => seen.downs.length === 1, "down");
    expect(await client!.request({ op: "hold", callId: "c1", address: "1001" })).toMatchObject({ ok: false, error: { exception: "LinkDown", message: "link-1 is down" } });
  });

  it("reconnects after the switch drops it: down once, then up again with a fresh snapshot", async () => {
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001"), calls: [] };
    const seen = open(sw.port);
    await until(() => seen.ups.length === 1, "up");
    sw.snapshot = { addresses: phones("1001"), calls: [{ callId: "c1", callingAddress: "1001", calledAddress: "1002", connections: [{ address: "1001", state: "ESTABLISHED", terminalState: "TALKING" }] }] };
    sw.dropAll();
    await until(() => seen.downs.length === 1 && seen.ups.length === 2, "down, then up again");
    expect(seen.downs[0]).toBe("the switch closed the link");
    expect(seen.ups[1]!.calls).toHaveLength(1);
    expect(sw.connections).toHaveLength(2);
    expect(seen.lines.some((l) => l.msg === "switch link down" && l.reason === "the switch closed the link")).toBe(true);
  });

  it("is refused with a wrong password and keeps retrying without coming up", async () => {
    sw = await FakeSwitch.start();
    const seen = open(sw.port, { password: "wrong" });
    await until(() => sw!.connections.length >= 3, "retries");
    expect(seen.ups).toEqual([]);
    expect(client!.isUp).toBe(false);
    expect(seen.lines.some((l) => l.msg === "the switch refused the link" && l.message === "authentication failed")).toBe(true);
  });

  it("gives up on a switch that never welcomes, within the request timeout", async () => {
    sw = await FakeSwitch.start();
    sw.welcome = false;
    const seen = open(sw.port, { timing: { requestTimeoutMs: 100 } });
    await until(() => sw!.connections.length >= 2, "a second attempt");
    expect(seen.lines.some((l) => /no welcome from the switch/.test(String(l.reason)))).toBe(true);
  });

  it("pings while idle and drops a switch that falls silent", async () => {
    sw = await FakeSwitch.start();
    const seen = open(sw.port, { timing: { pingEveryMs: 30, silenceMs: 150 } });
    await until(() => client!.isUp, "up");
    await until(() => sw!.last.received.filter((m) => m.type === "ping").length >= 2, "pings");
    sw.last.socket.removeAllListeners("data"); // deaf and mute from now on
    await until(() => seen.downs.length === 1, "dropped for silence", 2000);
    expect(seen.downs[0]).toMatch(/nothing heard from the switch/);
    await until(() => seen.ups.length === 2, "back up on a new connection");
  });

  it("closes a link whose switch sends an oversize frame, with a clear log line, and reconnects", async () => {
    let connections = 0;
    raw = net.createServer((socket) => {
      connections++;
      rawSockets.add(socket);
      socket.on("error", () => {});
      const header = Buffer.alloc(4);
      header.writeUInt32BE(64 * 1024 * 1024);
      socket.write(header);
    });
    await new Promise<void>((r) => raw!.listen(0, "127.0.0.1", r));
    const seen = open((raw.address() as net.AddressInfo).port);
    await until(() => connections >= 2, "a retry after the bad frame");
    expect(seen.ups).toEqual([]);
    expect(seen.lines.some((l) => l.msg === "unreadable frame from the switch: closing the link" && /exceeds/.test(String(l.err)))).toBe(true);
  });

  it("closes a link that sends garbage instead of JSON, without crashing", async () => {
    sw = await FakeSwitch.start();
    const seen = open(sw.port);
    await until(() => client!.isUp, "up");
    const body = Buffer.from("this is not json");
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    sw.last.socket.write(Buffer.concat([header, body]));
    await until(() => seen.downs.length === 1, "dropped");
    expect(seen.downs[0]).toMatch(/not valid JSON/);
    await until(() => seen.ups.length === 2, "reconnected");
  });

  it("ignores malformed messages, and keeps the good events of a batch with a bad one", async () => {
    sw = await FakeSwitch.start();
    const seen = open(sw.port);
    await until(() => client!.isUp, "up");
    sw.last.send({ type: "teleport" });
    sw.last.send([1, 2, 3]);
    sw.last.send({ type: "events", events: [event("ConnCreatedEv", 1), { id: 42, time: "x" }, event("ConnConnectedEv", 1)] });
    await until(() => seen.events.length === 2, "the good events");
    expect(seen.events.map((e) => e.id)).toEqual(["ConnCreatedEv", "ConnConnectedEv"]);
    expect(client!.isUp).toBe(true);
    expect(seen.lines.filter((l) => /^ignored a malformed/.test(l.msg))).toHaveLength(3);
  });

  it("stops reading while paused (and does not take that for silence), then delivers what waited", async () => {
    sw = await FakeSwitch.start();
    const seen = open(sw.port, { timing: { pingEveryMs: 30, silenceMs: 120 } });
    await until(() => client!.isUp, "up");
    client!.pause();
    sw.events([event("ConnCreatedEv", 1)]);
    await sleep(300);
    expect(seen.events).toEqual([]);
    expect(seen.downs).toEqual([]);
    client!.resume();
    await until(() => seen.events.length === 1, "the waiting event");
    expect(client!.isUp).toBe(true);
  });
});
