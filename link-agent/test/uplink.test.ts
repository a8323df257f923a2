// The uplink against a fake control plane (a `ws` server): hello and auth, batching, several batches
// in flight, acks, exact resend after a reconnect, back-pressure, keepalive, refusals, garbage.
import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_UPLINK_MESSAGE_BYTES, type SwitchEvent } from "../../shared/uplink.js";
import { type IncomingCommand, Uplink, type UplinkOptions } from "../src/uplink.js";
import { FakeControlPlane } from "./helpers/fake-control-plane.js";
import { capturedLog } from "./helpers/logs.js";
import { sleep, until } from "./helpers/wait.js";

const ev = (n: number): SwitchEvent => ({ kind: "service", time: `t${n}`, dn: String(1000 + n), inService: true });
const times = (events: SwitchEvent[]) => events.map((e) => e.time);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `t${from + i}`);

let cp: FakeControlPlane | undefined;
let uplink: Uplink | undefined;
let httpServer: http.Server | undefined;
afterEach(async () => {
  await uplink?.stop();
  await cp?.close();
  await new Promise((r) => (httpServer ? httpServer.close(r) : r(null)));
  uplink = cp = httpServer = undefined;
});

function start(opts: Partial<UplinkOptions> = {}) {
  const captured = capturedLog();
  const seen = { commands: [] as IncomingCommand[], resyncs: 0, restarts: 0, pressure: [] as boolean[] };
  uplink = new Uplink({
    url: cp?.url ?? "http://127.0.0.1:1", site: "site-a", linkKey: "demo.k1.secret", agentId: "agent-a", role: "primary",
    batch: { maxEvents: 500, maxDelayMs: 2 }, bufferEvents: 1000, log: captured.log,
    links: () => [{ name: "link-1", up: true }],
    onCommand: (c) => seen.commands.push(c), onResync: () => seen.resyncs++, onStreamRestart: () => seen.restarts++,
    onOptions: () => {}, onBackpressure: (full) => seen.pressure.push(full),
    backoff: { minMs: 20, maxMs: 50, refusedMs: 400 },
    ...opts,
  });
  uplink.start();
  return { seen, lines: captured.lines };
}

describe("uplink: connecting", () => {
  it("authenticates with the link key on <url>/v1/sites/<site>/link and says hello with its stream", async () => {
    cp = await FakeControlPlane.create();
    start({ url: `${cp.url}/tserver/` });
    await until(() => cp!.messages.length > 0, "hello");
    expect(cp.upgrades[0]!.url).toBe("/tserver/v1/sites/site-a/link");
    expect(cp.upgrades[0]!.headers.authorization).toBe("Bearer demo.k1.secret");
    // compression cost half the agent's CPU (issue 13): it is not even offered
    expect(cp.upgrades[0]!.headers["sec-websocket-extensions"]).toBeUndefined();
    expect(cp.messages[0]).toEqual({ t: "hello", protocol: 1, agentId: "agent-a", stream: uplink!.stream, role: "primary", links: [{ name: "link-1", up: true }] });
    await until(() => uplink!.connected, "welcome");
  });

  it("keeps events enqueued before the welcome and sends them after it", async () => {
    cp = await FakeControlPlane.create();
    start();
    for (let i = 1; i <= 3; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.appliedEvents.length === 3, "sent after welcome");
    expect(cp.batches()[0]!.from).toBe(1);
  });
});

describe("uplink: batching and acks", () => {
  it("batches many events into few messages, numbered without gaps, several in flight before any ack", async () => {
    cp = await FakeControlPlane.create();
    cp.autoAck = false;
    start({ batch: { maxEvents: 100, maxDelayMs: 2 } });
    await until(() => uplink!.connected, "welcome");
    for (let i = 1; i <= 250; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.events().length === 250, "250 events without a single ack");
    expect(cp.batches().map((b) => [b.from, b.events.length])).toEqual([[1, 100], [101, 100], [201, 50]]);
    expect(times(cp.events())).toEqual(range(1, 250));
    expect(uplink!.buffer.size).toBe(250);
    cp.send({ t: "ack", upTo: 150 });
    await until(() => uplink!.buffer.size === 100, "ack frees up to 150");
    cp.send({ t: "ack", upTo: 250 });
    await until(() => uplink!.buffer.size === 0, "ack frees the rest");
    expect(uplink!.status()).toMatchObject({ lastSeq: 250, ackedUpTo: 250, buffered: 0 });
  });

  it("waits at most batch.maxDelayMs for a batch to fill", async () => {
    cp = await FakeControlPlane.create();
    start({ batch: { maxEvents: 500, maxDelayMs: 30 } });
    await until(() => uplink!.connected, "welcome");
    uplink!.enqueue(ev(1));
    uplink!.enqueue(ev(2));
    await until(() => cp!.events().length === 2, "the two events", 1000);
    expect(cp.batches()).toHaveLength(1);
  });

  it("cuts batches below the message-size limit", async () => {
    cp = await FakeControlPlane.create();
    const sizes: number[] = [];
    cp.server.on("connection", (ws) => ws.on("message", (d: Buffer) => sizes.push(d.length)));
    start();
    await until(() => uplink!.connected, "welcome");
    // twelve snapshots of ~100 KiB each: 1.2 MiB in all, more than two messages may carry
    const big = (n: number): SwitchEvent => ({ kind: "snapshot", time: `t${n}`, dns: Array.from({ length: 1000 }, (_, i) => ({ dn: `${n}-${i}`.padEnd(20, "0"), kind: "phone", inService: true, calls: [{ callId: "x".repeat(40), phase: "established", role: 1, callType: 1 }] })) });
    for (let i = 1; i <= 12; i++) uplink!.enqueue(big(i));
    await until(() => cp!.events().length === 12, "all twelve");
    expect(cp.batches().length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_UPLINK_MESSAGE_BYTES);
    expect(times(cp.events())).toEqual(range(1, 12));
  });

  it("keeps a window of unacknowledged batches on the wire and sends more as acks come", async () => {
    cp = await FakeControlPlane.create();
    cp.autoAck = false;
    start({ batch: { maxEvents: 10, maxDelayMs: 1 } });
    await until(() => uplink!.connected, "welcome");
    for (let i = 1; i <= 200; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.events().length === 80, "eight batches of ten");
    await sleep(50);
    expect(cp.events()).toHaveLength(80);
    cp.send({ t: "ack", upTo: 80 });
    await until(() => cp!.events().length === 160, "the next eight");
  });
});

describe("uplink: reconnecting", () => {
  it("resends exactly the unacknowledged events after the connection dies: nothing lost, nothing repeated", async () => {
    cp = await FakeControlPlane.create();
    start();
    await until(() => uplink!.connected, "welcome");
    for (let i = 1; i <= 10; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.appliedEvents.length === 10 && uplink!.buffer.size === 0, "first ten applied");
    cp.autoAck = false;
    for (let i = 11; i <= 15; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.events().length === 15, "five more sent, not acknowledged");
    cp.autoAck = true;
    cp.messages = [];
    cp.last.terminate();
    for (let i = 16; i <= 20; i++) uplink!.enqueue(ev(i)); // while disconnected
    await until(() => cp!.appliedEvents.length === 20, "the rest after the reconnect");
    expect(cp.messages[0]).toMatchObject({ t: "hello", stream: uplink!.stream });
    expect(cp.batches()[0]!.from).toBe(11);
    expect(times(cp.events())).toEqual(range(11, 20));
    expect(times(cp.appliedEvents)).toEqual(range(1, 20));
    await until(() => uplink!.buffer.size === 0, "all acknowledged");
  });

  it("resumes after what the control plane applied even when it never acked it (its ack was lost)", async () => {
    cp = await FakeControlPlane.create();
    start();
    await until(() => uplink!.connected, "welcome");
    cp.autoAck = false;
    for (let i = 1; i <= 10; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.events().length === 10, "sent");
    // applied 1..6 (as if its ack was lost on the way), then the connection dies
    cp.appliedEvents.push(...cp.events().slice(0, 6));
    cp.applied.set(uplink!.stream, 6);
    cp.autoAck = true;
    cp.messages = [];
    cp.last.terminate();
    await until(() => cp!.appliedEvents.length === 10, "the rest");
    expect(cp.batches()[0]!.from).toBe(7);
    expect(times(cp.appliedEvents)).toEqual(range(1, 10));
  });

  it("starts a new stream when the control plane lost events it acknowledged, instead of looping on a gap", async () => {
    cp = await FakeControlPlane.create();
    const { seen, lines } = start();
    await until(() => uplink!.connected, "welcome");
    for (let i = 1; i <= 10; i++) uplink!.enqueue(ev(i));
    await until(() => uplink!.buffer.ackedUpTo === 10, "ten acknowledged");
    const firstStream = uplink!.stream;
    cp.autoAck = false;
    for (let i = 11; i <= 12; i++) uplink!.enqueue(ev(i));
    await until(() => cp!.events().length === 12, "two more in flight");
    cp.autoAck = true;
    cp.forceResumeAfter = 0; // its state was reset: it knows nothing of this stream
    cp.appliedEvents = [];
    cp.messages = [];
    cp.last.terminate();
    await until(() => cp!.appliedEvents.length === 2, "the unacknowledged events in a new stream");
    expect(uplink!.stream).not.toBe(firstStream);
    expect(seen.restarts).toBe(1);
    const hellos = cp.messages.filter((m) => m.t === "hello");
    expect(hellos.at(-1)!.stream).toBe(uplink!.stream);
    expect(cp.batches().at(-1)!.from).toBe(1);
    expect(times(cp.appliedEvents)).toEqual(["t11", "t12"]);
    expect(lines.some((l) => l.level === 50 && /cannot resume this stream/.test(l.msg))).toBe(true);
  });

  it("pings every pingEveryMs, and drops and reconnects a control plane that falls silent", async () => {
    cp = await FakeControlPlane.create();
    start({ keepalive: { pingEveryMs: 40, silenceMs: 200 } });
    await until(() => uplink!.connected, "welcome");
    await until(() => cp!.pings >= 2, "pings");
    cp.last.removeAllListeners("message"); // the control plane stops answering anything on this socket
    await until(() => cp!.sockets.length === 2 && uplink!.connected, "a new connection after the silence", 3000);
  });
});

describe("uplink: back-pressure", () => {
  it("pauses the switch when the buffer is full and resumes when acks free a fifth of it; drops nothing", async () => {
    cp = await FakeControlPlane.create();
    cp.autoAck = false;
    const { seen, lines } = start({ bufferEvents: 100 });
    await until(() => uplink!.connected, "welcome");
    for (let i = 1; i <= 99; i++) uplink!.enqueue(ev(i));
    expect(seen.pressure).toEqual([]);
    uplink!.enqueue(ev(100));
    expect(seen.pressure).toEqual([true]);
    for (let i = 101; i <= 110; i++) uplink!.enqueue(ev(i)); // already read from the switch: kept, never dropped
    expect(uplink!.buffer.size).toBe(110);
    expect(lines.some((l) => l.msg.startsWith("uplink buffer full"))).toBe(true);
    await until(() => cp!.events().length === 110, "all sent");
    cp.send({ t: "ack", upTo: 20 });
    await sleep(30);
    expect(seen.pressure).toEqual([true]); // 90 held: still above 80 %
    cp.send({ t: "ack", upTo: 40 });
    await until(() => seen.pressure.length === 2, "pressure lifted");
    expect(seen.pressure).toEqual([true, false]);
  });
});

describe("uplink: messages from the control plane", () => {
  it("ignores malformed messages and carries on; hands commands, resync and role over", async () => {
    cp = await FakeControlPlane.create();
    const { seen, lines } = start();
    await until(() => uplink!.connected, "welcome");
    cp.send("{not json");
    cp.send(JSON.stringify({ t: "teleport" }));
    cp.send({ t: "ack", upTo: "lots" });
    cp.last.send(Buffer.from([1, 2, 3]));
    cp.send({ t: "command", id: "c1", op: "makeCall", dn: "1001", otherDN: "1002" });
    cp.send({ t: "command", id: "c2", op: "teleport", dn: "1001" }); // unknown op: still handed over, to be answered with an error
    cp.send({ t: "resync" });
    cp.send({ t: "role", active: false });
    cp.send({ t: "error", message: "something was refused" });
    uplink!.enqueue(ev(1));
    await until(() => cp!.appliedEvents.length === 1 && uplink!.buffer.size === 0, "event delivered after the garbage");
    expect(seen.commands.map((c) => [c.id, c.op])).toEqual([["c1", "makeCall"], ["c2", "teleport"]]);
    expect(seen.resyncs).toBe(1);
    expect(uplink!.active).toBe(false);
    expect(lines.filter((l) => /^ignored a/.test(l.msg))).toHaveLength(4);
    expect(lines.some((l) => l.msg === "the control plane reported an error" && l.message === "something was refused")).toBe(true);
  });
});

describe("uplink: refusals", () => {
  it("says loudly that the key was refused (401 on the upgrade) and retries rarely", async () => {
    // one diagnostic GET follows each failed upgrade (undici itself may try the upgrade twice on a 401)
    let attempts = 0;
    httpServer = http.createServer((_req, res) => {
      attempts++;
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "unknown or revoked key" }));
    });
    httpServer.on("upgrade", (_req, socket) => socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"));
    await new Promise<void>((r) => httpServer!.listen(0, "127.0.0.1", r));
    const { lines } = start({ url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` });
    await until(() => lines.some((l) => l.level === 50 && /refused the uplink/.test(l.msg)), "a loud refusal");
    const refusal = lines.find((l) => /refused the uplink/.test(l.msg))!;
    expect(refusal).toMatchObject({ status: 401, body: JSON.stringify({ error: "unknown or revoked key" }) });
    expect(JSON.stringify(lines)).not.toContain("demo.k1.secret");
    await sleep(250);
    expect(attempts).toBe(1); // refusedMs (400 ms here), not the 20 ms back-off
    await until(() => attempts === 2, "a retry after the long back-off", 2000);
  });

  it("treats close 4401 as a refusal and 4409 'replaced' as a second agent with the same id", async () => {
    cp = await FakeControlPlane.create();
    const { lines } = start();
    await until(() => uplink!.connected, "welcome");
    cp.last.close(4409, "replaced by a newer connection of the same agent");
    await until(() => cp!.sockets.length === 2 && uplink!.connected, "reconnected after 4409");
    expect(lines.some((l) => /same agentId/.test(l.msg))).toBe(true);
    cp.last.close(4401, "unauthorized");
    await until(() => lines.some((l) => l.level === 50 && /refused this agent/.test(l.msg)), "refusal logged");
    await sleep(200);
    expect(cp.sockets).toHaveLength(2);
  });
});
