// The one WebSocket to the control plane (docs/uplink.md): hello/welcome, numbered batches, acks,
// resend after reconnect, keepalive, and the commands that come down.
import { WebSocket } from "undici";
import type { Logger } from "pino";
import { randomUUID } from "node:crypto";
import { MAX_UPLINK_MESSAGE_BYTES, type SiteCommand, SiteToAgent, type SwitchEvent, UPLINK_PROTOCOL } from "../../shared/uplink.js";
import { EventBuffer } from "./event-buffer.js";

export const PING_EVERY_MS = 15_000;
export const SILENCE_LIMIT_MS = 45_000;

export interface UplinkOptions {
  url: string;
  site: string;
  linkKey: string;
  agentId: string;
  role: "primary" | "backup";
  batch: { maxEvents: number; maxDelayMs: number };
  bufferEvents: number;
  log: Logger;
  links: () => Array<{ name: string; up: boolean }>;
  onCommand: (command: SiteCommand) => void;
  onResync: () => void;
  /** The site's link options: at every welcome (`initial` on the first) and whenever they change. */
  onOptions: (options: Record<string, Record<string, string>>, initial: boolean) => void;
  /** Called with true when the buffer is full (stop reading the switch), false when it has room again. */
  onBackpressure: (full: boolean) => void;
  backoff?: { minMs: number; maxMs: number };
}

export class Uplink {
  readonly stream = randomUUID();
  readonly buffer: EventBuffer;
  private ws: WebSocket | null = null;
  private welcomed = false;
  private sentUpTo = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private attempt = 0;
  private stopped = false;
  private pressed = false;
  private welcomes = 0;
  active = false;

  constructor(private readonly opts: UplinkOptions) {
    this.buffer = new EventBuffer(opts.bufferEvents);
  }

  get connected(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.flushTimer, this.pingTimer, this.retryTimer]) if (t) clearTimeout(t);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this.flushNow(ws);
      ws.close(1000, "link agent stopping");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Queues an event for the control plane; it goes out in the next batch. */
  enqueue(event: SwitchEvent): void {
    this.buffer.push(event);
    if (this.buffer.full && !this.pressed) {
      this.pressed = true;
      this.opts.log.warn({ buffered: this.buffer.size }, "uplink buffer full: pausing the switch links until the control plane catches up");
      this.opts.onBackpressure(true);
    }
    if (!this.flushTimer && this.welcomed) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (this.ws && this.welcomed) this.flushNow(this.ws);
      }, this.opts.batch.maxDelayMs);
    }
  }

  private url(): string {
    const u = new URL(`/v1/sites/${encodeURIComponent(this.opts.site)}/link`, this.opts.url);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url(), { headers: { authorization: `Bearer ${this.opts.linkKey}` } });
    this.ws = ws;
    this.welcomed = false;
    ws.addEventListener("open", () => {
      this.lastHeard = Date.now();
      ws.send(JSON.stringify({ t: "hello", protocol: UPLINK_PROTOCOL, agentId: this.opts.agentId, stream: this.stream, role: this.opts.role, links: this.opts.links() }));
      this.pingTimer = setInterval(() => {
        if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
          this.opts.log.warn({ silentMs: Date.now() - this.lastHeard }, "control plane silent: reconnecting");
          ws.close(4000, "keepalive timeout");
          this.closed(ws, "keepalive timeout");
          return;
        }
        if (ws.readyState === WebSocket.OPEN) ws.send("ping");
      }, PING_EVERY_MS);
    });
    ws.addEventListener("message", (m) => {
      this.lastHeard = Date.now();
      if (m.data === "pong") return;
      let msg: SiteToAgent;
      try {
        const parsed = SiteToAgent.safeParse(JSON.parse(String(m.data)));
        if (!parsed.success) {
          this.opts.log.warn({ issue: parsed.error.issues[0]?.message }, "ignored a malformed message from the control plane");
          return;
        }
        msg = parsed.data;
      } catch {
        this.opts.log.warn("ignored a message from the control plane that is not JSON");
        return;
      }
      this.onMessage(ws, msg);
    });
    ws.addEventListener("close", (ev) => this.closed(ws, `closed ${ev.code}${ev.reason ? ` ${ev.reason}` : ""}`));
    ws.addEventListener("error", () => { /* the close event follows and carries the story */ });
  }

  private onMessage(ws: WebSocket, msg: SiteToAgent): void {
    switch (msg.t) {
      case "welcome":
        this.welcomed = true;
        this.attempt = 0;
        this.active = msg.active;
        this.buffer.ack(msg.resumeAfter);
        this.sentUpTo = Math.max(msg.resumeAfter, this.buffer.lastSeq - this.buffer.size);
        this.opts.log.info({ site: msg.site, active: msg.active, resumeAfter: msg.resumeAfter, resending: this.buffer.size }, "uplink connected");
        this.flushNow(ws);
        this.opts.onOptions(msg.options, this.welcomes++ === 0);
        return;
      case "options":
        this.opts.onOptions(msg.options, false);
        return;
      case "ack":
        this.buffer.ack(msg.upTo);
        if (this.pressed && this.buffer.size < this.buffer.capacity * 0.8) {
          this.pressed = false;
          this.opts.log.info({ buffered: this.buffer.size }, "uplink buffer has room again: resuming the switch links");
          this.opts.onBackpressure(false);
        }
        return;
      case "command":
        this.opts.onCommand(msg);
        return;
      case "role":
        this.active = msg.active;
        this.opts.log.info({ active: msg.active }, msg.active ? "this agent is now the active one" : "this agent is now standby");
        return;
      case "resync":
        this.opts.onResync();
        return;
      case "error":
        this.opts.log.error({ message: msg.message }, "the control plane reported an error");
        return;
    }
  }

  /** Sends every unsent event, in batches cut by count and by size. */
  private flushNow(ws: WebSocket): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    while (ws.readyState === WebSocket.OPEN && this.welcomed) {
      const { from, events } = this.buffer.after(this.sentUpTo, this.opts.batch.maxEvents);
      if (events.length === 0) return;
      let count = events.length;
      let text = JSON.stringify({ t: "events", from, events });
      while (text.length > MAX_UPLINK_MESSAGE_BYTES && count > 1) {
        count = Math.ceil(count / 2);
        text = JSON.stringify({ t: "events", from, events: events.slice(0, count) });
      }
      ws.send(text);
      this.sentUpTo = from + count - 1;
    }
  }

  private closed(ws: WebSocket, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    const was = this.welcomed;
    this.welcomed = false;
    if (this.stopped) return;
    this.opts.log.warn({ reason, unacknowledged: this.buffer.size }, was ? "uplink lost: reconnecting" : "uplink not established");
    const { minMs, maxMs } = this.opts.backoff ?? { minMs: 500, maxMs: 30_000 };
    const delay = Math.min(maxMs, minMs * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
