// A fake control plane for uplink tests: a `ws` server that speaks the uplink protocol the way the
// Site Durable Object does (welcome with resumeAfter, ack once applied, auto "pong").
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import type { IncomingMessage } from "node:http";
import type { SwitchEvent } from "../../../shared/uplink.js";

export class FakeControlPlane {
  readonly server: WebSocketServer;
  sockets: ServerSocket[] = [];
  /** Every JSON message received, in order (pings excluded). */
  messages: any[] = [];
  upgrades: IncomingMessage[] = [];
  autoAck = true;
  /** Highest sequence number applied, per stream. */
  applied = new Map<string, number>();
  /** Events applied, in order, exactly once each (what the control plane would act on). */
  appliedEvents: SwitchEvent[] = [];
  /** Overrides the resumeAfter of the next welcome (to play a control plane that lost its state). */
  forceResumeAfter: number | null = null;
  pings = 0;
  private streamOf = new Map<ServerSocket, string>();

  private constructor() {
    this.server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    this.server.on("connection", (ws, req) => {
      this.sockets.push(ws);
      this.upgrades.push(req);
      ws.on("message", (data) => this.onMessage(ws, data.toString()));
      ws.on("error", () => {});
    });
  }

  static async create(): Promise<FakeControlPlane> {
    const cp = new FakeControlPlane();
    await new Promise((r) => cp.server.once("listening", r));
    return cp;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  get last(): ServerSocket {
    return this.sockets[this.sockets.length - 1]!;
  }

  send(message: unknown, ws = this.last): void {
    ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  events(): SwitchEvent[] {
    return this.messages.filter((m) => m.t === "events").flatMap((m) => m.events);
  }

  batches(): Array<{ from: number; events: SwitchEvent[] }> {
    return this.messages.filter((m) => m.t === "events");
  }

  private onMessage(ws: ServerSocket, text: string): void {
    if (text === "ping") {
      this.pings++;
      return ws.send("pong");
    }
    const m = JSON.parse(text);
    this.messages.push(m);
    if (m.t === "hello") {
      this.streamOf.set(ws, m.stream);
      const resumeAfter = this.forceResumeAfter ?? this.applied.get(m.stream) ?? 0;
      this.forceResumeAfter = null;
      this.applied.set(m.stream, resumeAfter);
      ws.send(JSON.stringify({ t: "welcome", protocol: 1, site: "site-a", active: true, resumeAfter, options: {} }));
    }
    if (m.t === "events" && this.autoAck) this.apply(ws, m);
  }

  /** Applies a batch as the Site does: skip what was applied, refuse a gap, then ack. */
  apply(ws: ServerSocket, m: { from: number; events: SwitchEvent[] }): void {
    const stream = this.streamOf.get(ws)!;
    const last = this.applied.get(stream) ?? 0;
    if (m.from > last + 1) {
      ws.send(JSON.stringify({ t: "error", message: `sequence gap: expected ${last + 1}, got ${m.from}` }));
      ws.close(4409, "sequence gap");
      return;
    }
    const fresh = m.events.slice(last + 1 - m.from);
    this.appliedEvents.push(...fresh);
    const upTo = Math.max(last, m.from + m.events.length - 1);
    this.applied.set(stream, upTo);
    ws.send(JSON.stringify({ t: "ack", upTo }));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise((r) => this.server.close(r));
  }
}
