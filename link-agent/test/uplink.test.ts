// The uplink against a fake control plane (a ws server): hello, batching, acks, resend, back-pressure.
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { pino } from "pino";
import type { IncomingMessage } from "node:http";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Uplink } from "../src/uplink.js";

const log = pino({ level: "silent" });
const ev = (n: number): SwitchEvent => ({ kind: "service", time: `t${n}`, dn: String(1000 + n), inService: true });

class FakeControlPlane {
  server: WebSocketServer;
  sockets: ServerSocket[] = [];
  messages: any[] = [];
  upgrades: IncomingMessage[] = [];
  autoAck = true;
  applied = 0;
  constructor() {
    this.server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    this.server.on("connection", (ws, req) => {
      this.sockets.push(ws);
      this.upgrades.push(req);
      ws.on("message", (data) => {
        const text = data.toString();
        if (text === "ping") return ws.send("pong");
        const m = JSON.parse(text);
        this.messages.push(m);
        if (m.t === "hello") ws.send(JSON.stringify({ t: "welcome", protocol: 1, site: "site-a", active: true, resumeAfter: this.applied }));
        if (m.t === "events") {
          const upTo = m.from + m.events.length - 1;
          if (this.autoAck) {
            this.applied = Math.max(this.applied, upTo);
            ws.send(JSON.stringify({ t: "ack", upTo }));
          }
        }
      });
    });
  }
  static async create(): Promise<FakeControlPlane> {
    const cp = new FakeControlPlane();
    await new Promise((r) => cp.server.once("listening", r));
    return cp;
  }
  get url() { return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`; }
  events(): SwitchEvent[] { return this.messages.filter((m) => m.t === "events").flatMap((m) => m.events); }
  async close() {
    for (const s of this.sockets) s.terminate();
    await new Promise((r) => this.server.close(r));
  }
}

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

let cp: FakeControlPlane;
let uplink: Uplink;
afterEach(async () => { await uplink?.stop(); await cp?.close(); });

function start(opts: Partial<{ maxEvents: number; bufferEvents: number; onBackpressure: (full: boolean) => void }> = {}) {
  uplink = new Uplink({
    url: cp.url, site: "site-a", linkKey: "demo.k1.secret", agentId: "agent-a", role: "primary",
    batch: { maxEvents: opts.maxEvents ?? 500, maxDelayMs: 2 }, bufferEvents: opts.bufferEvents ?? 1000, log,
    links: () => [{ name: "link-1", up: true }], onCommand: () => {}, onResync: () => {}, onOptions: () => {}, onBackpressure: opts.onBackpressure ?? (() => {}),
    backoff: { minMs: 20, maxMs: 50 },
  });
  uplink.start();
}

describe("uplink", () => {
  it("authenticates with the link key and says hello with its stream", async () => {
    cp = await FakeControlPlane.create();
    start();
    await until(() => cp.messages.length > 0, "hello");
    expect(cp.upgrades[0]!.url).toBe("/v1/sites/site-a/link");
    expect(cp.upgrades[0]!.headers.authorization).toBe("Bearer demo.k1.secret");
    expect(cp.messages[0]).toEqual({ t: "hello", protocol: 1, agentId: "agent-a", stream: uplink.stream, role: "primary", links: [{ name: "link-1", up: true }] });
  });

  it("batches many events into few messages, numbered without gaps, and frees the buffer on ack", async () => {
    cp = await FakeControlPlane.create();
    start({ maxEvents: 100 });
    await until(() => uplink.connected, "welcome");
    for (let i = 1; i <= 250; i++) uplink.enqueue(ev(i));
    await until(() => cp.events().length === 250, "250 events");
    const batches = cp.messages.filter((m) => m.t === "events");
    expect(batches.map((b) => [b.from, b.events.length])).toEqual([[1, 100], [101, 100], [201, 50]]);
    expect(cp.events().map((e) => (e as { time: string }).time)).toEqual(Array.from({ length: 250 }, (_, i) => `t${i + 1}`));
    await until(() => uplink.buffer.size === 0, "acks");
  });

  it("resends exactly the unacknowledged events after the connection dies: nothing lost, nothing repeated", async () => {
    cp = await FakeControlPlane.create();
    start();
    await until(() => uplink.connected, "welcome");
    for (let i = 1; i <= 10; i++) uplink.enqueue(ev(i));
    await until(() => cp.events().length === 10 && uplink.buffer.size === 0, "first ten applied");
    cp.autoAck = false;
    for (let i = 11; i <= 15; i++) uplink.enqueue(ev(i));
    await until(() => cp.events().length === 15, "five more sent, not acknowledged");
    cp.autoAck = true;
    cp.messages = [];
    cp.sockets[0]!.terminate();
    for (let i = 16; i <= 20; i++) uplink.enqueue(ev(i)); // while disconnected
    await until(() => cp.events().length === 10, "resend after reconnect");
    expect(cp.messages[0]).toMatchObject({ t: "hello", stream: uplink.stream });
    expect(cp.messages.filter((m) => m.t === "events")[0].from).toBe(11);
    expect(cp.events().map((e) => (e as { time: string }).time)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i + 11}`));
    await until(() => uplink.buffer.size === 0, "all acknowledged");
  });

  it("applies back-pressure when the buffer is full and lifts it when acks free room", async () => {
    cp = await FakeControlPlane.create();
    cp.autoAck = false;
    const pressure: boolean[] = [];
    start({ bufferEvents: 100, onBackpressure: (full) => pressure.push(full) });
    await until(() => uplink.connected, "welcome");
    for (let i = 1; i <= 100; i++) uplink.enqueue(ev(i));
    expect(pressure).toEqual([true]);
    await until(() => cp.events().length === 100, "all sent");
    cp.sockets[0]!.send(JSON.stringify({ t: "ack", upTo: 100 }));
    await until(() => pressure.length === 2, "pressure lifted");
    expect(pressure).toEqual([true, false]);
  });

  it("ignores malformed messages from the control plane and carries on", async () => {
    cp = await FakeControlPlane.create();
    start();
    await until(() => uplink.connected, "welcome");
    cp.sockets[0]!.send("{not json");
    cp.sockets[0]!.send(JSON.stringify({ t: "teleport" }));
    uplink.enqueue(ev(1));
    await until(() => cp.events().length === 1 && uplink.buffer.size === 0, "event delivered after garbage");
  });
});
