// The one WebSocket to the control plane (docs/uplink.md): hello/welcome, numbered batches with
// several in flight, acks, resend after reconnect, back-pressure, keepalive, and the messages that
// come down. Nothing acknowledged is lost; nothing unacknowledged is dropped across a reconnect.
import { fetch } from "undici";
import { WebSocket } from "ws";
import type { Logger } from "pino";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { MAX_UPLINK_MESSAGE_BYTES, type SiteToAgent, SiteToAgent as SiteToAgentSchema, type SwitchEvent, UPLINK_PROTOCOL } from "../../shared/uplink.js";
import { EventBuffer } from "./event-buffer.js";
import { backoffDelay } from "./backoff.js";

/** Three pings inside the control plane's 9 s silence limit: a hung agent is replaced within 12 s, a live one never. */
export const PING_EVERY_MS = 3_000;
export const SILENCE_LIMIT_MS = 45_000;
/** The control plane takes an agent that sent no ping for three ping periods (9 s) for dead and replaces it (docs/uplink.md "Keepalive"). */
const REPLACED_AFTER_PINGS = 3;
/** After the control plane refused this agent (bad key, wrong site, protocol): retry, but rarely. */
export const REFUSED_RETRY_MS = 60_000;
/** Room for `{"t":"events","from":N,"events":[...]}` around the events. */
const ENVELOPE_BYTES = 64;
/** Unacknowledged batches allowed on the wire at once (a sliding window, not a round trip per batch). */
const BATCHES_IN_FLIGHT = 8;

/** A command as it came down, checked only for what a result needs (id, dn): the command runner validates the rest. */
export const IncomingCommand = z.object({ t: z.literal("command"), id: z.string().min(1).max(128), dn: z.string().max(64), op: z.unknown() }).passthrough();
export type IncomingCommand = z.infer<typeof IncomingCommand>;

export interface UplinkOptions {
  /** The control plane's base URL (http(s) or ws(s)); the link path is appended to it. */
  url: string;
  site: string;
  linkKey: string;
  agentId: string;
  role: "primary" | "backup";
  batch: { maxEvents: number; maxDelayMs: number };
  /** Unacknowledged events held before back-pressure starts. */
  bufferEvents: number;
  log: Logger;
  links: () => Array<{ name: string; up: boolean }>;
  onCommand: (command: IncomingCommand) => void;
  /** The control plane asked for fresh snapshots. */
  onResync: () => void;
  /** The stream was restarted because the control plane lost events it had acknowledged: send fresh snapshots. */
  onStreamRestart: () => void;
  /** The site's link options (sections link-tls, link-N): at every welcome and whenever they change. */
  onOptions: (options: Record<string, Record<string, string>>) => void;
  /** True when the buffer is full (stop reading the switch), false when it has room again. */
  onBackpressure: (full: boolean) => void;
  /** The control plane welcomed a connection (metrics count connects and reconnects). */
  onWelcome?: () => void;
  backoff?: { minMs: number; maxMs: number; refusedMs?: number };
  keepalive?: { pingEveryMs: number; silenceMs: number };
}

export interface UplinkStatus {
  connected: boolean;
  active: boolean;
  stream: string;
  lastSeq: number;
  ackedUpTo: number;
  buffered: number;
  backpressure: boolean;
}

export class Uplink {
  readonly buffer: EventBuffer;
  private streamId = randomUUID();
  private ws: WebSocket | null = null;
  private welcomed = false;
  /** Highest sequence number sent on the current connection. */
  private sentUpTo = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private lastPing = 0;
  private attempt = 0;
  private stopped = false;
  private pressed = false;
  active = false;

  constructor(private readonly opts: UplinkOptions) {
    this.buffer = new EventBuffer(opts.bufferEvents);
  }

  /** This run's stream id (a new one only if the control plane loses acknowledged events). */
  get stream(): string {
    return this.streamId;
  }

  get connected(): boolean {
    return this.welcomed;
  }

  status(): UplinkStatus {
    return { connected: this.welcomed, active: this.active, stream: this.streamId, lastSeq: this.buffer.lastSeq, ackedUpTo: this.buffer.ackedUpTo, buffered: this.buffer.size, backpressure: this.pressed };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends what it can, closes the socket and stops reconnecting. Unacknowledged events die with the process. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.flushTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    const ws = this.ws;
    const welcomed = this.welcomed;
    this.ws = null;
    this.welcomed = false;
    if (!ws) return;
    if (welcomed && ws.readyState === WebSocket.OPEN) this.flushNow(ws, true);
    const closed = new Promise((resolve) => {
      ws.addEventListener("close", resolve);
      setTimeout(resolve, 1000).unref();
    });
    try {
      ws.close(1000, "link agent stopping");
    } catch { /* already closing */ }
    await closed;
  }

  /** Queues an event: it gets the next sequence number and goes out in the next batch. */
  enqueue(event: SwitchEvent): void {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_UPLINK_MESSAGE_BYTES - ENVELOPE_BYTES) {
      // it could never be sent, and would block every event behind it
      this.opts.log.error({ kind: event.kind, bytes, limit: MAX_UPLINK_MESSAGE_BYTES }, "dropped an event too large for one uplink message");
      return;
    }
    this.buffer.push({ json, bytes });
    if (this.buffer.full && !this.pressed) {
      this.pressed = true;
      this.opts.log.warn({ buffered: this.buffer.size, capacity: this.buffer.capacity }, "uplink buffer full: pausing the switch links until the control plane catches up");
      this.opts.onBackpressure(true);
    }
    const ws = this.ws;
    if (!ws || !this.welcomed) return; // sent after the next welcome
    if (this.buffer.lastSeq - this.sentUpTo >= this.opts.batch.maxEvents) this.flushNow(ws);
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (this.ws && this.welcomed) this.flushNow(this.ws);
      }, this.opts.batch.maxDelayMs);
    }
  }

  private linkUrl(): URL {
    const u = new URL(this.opts.url);
    u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/sites/${encodeURIComponent(this.opts.site)}/link`;
    u.search = "";
    return u;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.linkUrl();
    url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
    let ws: WebSocket;
    try {
      // no permessage-deflate: compressing every batch took half the agent's CPU (issue 13), and
      // the uplink is JSON on a link the operator chose; ws also sets TCP_NODELAY on its socket
      ws = new WebSocket(url.toString(), { headers: { authorization: `Bearer ${this.opts.linkKey}` }, perMessageDeflate: false });
    } catch (err) {
      this.opts.log.error({ url: url.toString(), err: (err as Error).message }, "cannot open the uplink");
      return this.scheduleReconnect("normal");
    }
    this.ws = ws;
    this.welcomed = false;
    let opened = false;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      opened = true;
      this.lastHeard = this.lastPing = Date.now();
      this.sendText(ws, JSON.stringify({ t: "hello", protocol: UPLINK_PROTOCOL, agentId: this.opts.agentId, stream: this.streamId, role: this.opts.role, links: this.opts.links() }));
      this.startKeepalive(ws);
    });
    ws.addEventListener("message", (m) => {
      if (this.ws !== ws) return; // a socket already given up on
      if (this.wasFrozen(ws)) return;
      this.lastHeard = Date.now();
      if (m.data === "pong") return;
      this.onText(ws, typeof m.data === "string" ? m.data : null);
    });
    ws.addEventListener("close", (ev) => this.onClose(ws, ev.code, ev.reason, opened));
    ws.addEventListener("error", () => { /* the close event follows and carries the story */ });
  }

  private startKeepalive(ws: WebSocket): void {
    const { pingEveryMs, silenceMs } = this.opts.keepalive ?? { pingEveryMs: PING_EVERY_MS, silenceMs: SILENCE_LIMIT_MS };
    // a tick finer than the ping period, so that silence is noticed within a few seconds of the limit
    const tickMs = Math.max(10, Math.min(pingEveryMs, silenceMs / 9));
    this.keepaliveTimer = setInterval(() => {
      if (this.wasFrozen(ws)) return;
      const now = Date.now();
      if (now - this.lastHeard > silenceMs) {
        this.opts.log.warn({ silentMs: now - this.lastHeard }, "control plane silent: dropping the uplink");
        this.abandon(ws, 4000, "keepalive timeout");
        return;
      }
      if (now - this.lastPing >= pingEveryMs) {
        this.lastPing = now;
        this.sendText(ws, "ping");
      }
    }, tickMs);
    this.keepaliveTimer.unref?.();
  }

  /**
   * Woken from a freeze (SIGSTOP, a paused VM, a stalled loop) longer than the control plane waits for a
   * ping: it may have replaced this agent and failed, with 54, the requests whose commands wait unread in
   * this socket. Carrying them out now would do what clients were told failed, so the socket is dropped
   * unread; the reconnect makes this agent the standby (or active again, with a resync).
   */
  private wasFrozen(ws: WebSocket): boolean {
    const pingEveryMs = this.opts.keepalive?.pingEveryMs ?? PING_EVERY_MS;
    const silentMs = Date.now() - this.lastPing;
    // (at least 1 s: tests ping every few ms, and a loop busy for that long is not a freeze)
    if (silentMs <= Math.max(REPLACED_AFTER_PINGS * pingEveryMs, 1_000)) return false;
    this.opts.log.warn({ silentMs }, "this agent sent no ping for longer than the control plane waits: dropping the uplink unread (the commands waiting in it may have been failed already)");
    this.abandon(ws, 4000, "agent was frozen");
    return true;
  }

  private onText(ws: WebSocket, text: string | null): void {
    if (text === null) {
      this.opts.log.warn("ignored a binary message from the control plane");
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.opts.log.warn({ length: text.length }, "ignored a message from the control plane that is not JSON");
      return;
    }
    const parsed = SiteToAgentSchema.safeParse(raw);
    if (parsed.success) return this.onMessage(ws, parsed.data);
    // a command the agent cannot carry out still deserves an answer: the runner sends an error result
    const command = IncomingCommand.safeParse(raw);
    if (command.success) return this.opts.onCommand(command.data);
    const issue = parsed.error.issues[0];
    this.opts.log.warn({ t: (raw as { t?: unknown })?.t, issue: issue ? `${issue.path.join(".")}: ${issue.message}` : undefined }, "ignored a malformed message from the control plane");
  }

  private onMessage(ws: WebSocket, msg: SiteToAgent): void {
    switch (msg.t) {
      case "welcome":
        return this.onWelcome(ws, msg);
      case "options":
        return this.opts.onOptions(msg.options);
      case "ack":
        this.buffer.ack(msg.upTo);
        // never resend what the control plane already has
        this.sentUpTo = Math.max(this.sentUpTo, Math.min(msg.upTo, this.buffer.lastSeq));
        this.relieve();
        if (this.welcomed) this.flushNow(ws);
        return;
      case "command":
        return this.opts.onCommand(msg);
      case "role":
        this.active = msg.active;
        this.opts.log.info({ active: msg.active }, msg.active ? "this agent is now the active one of its site" : "this agent is now standby");
        return;
      case "resync":
        this.opts.log.info("control plane asked for a resync");
        return this.opts.onResync();
      case "error":
        this.opts.log.error({ message: msg.message }, "the control plane reported an error");
        return;
    }
  }

  private onWelcome(ws: WebSocket, msg: Extract<SiteToAgent, { t: "welcome" }>): void {
    if (msg.protocol !== UPLINK_PROTOCOL) this.opts.log.warn({ theirs: msg.protocol, ours: UPLINK_PROTOCOL }, "the control plane speaks another uplink protocol version");
    if (msg.resumeAfter < this.buffer.ackedUpTo || msg.resumeAfter > this.buffer.lastSeq) return this.restartStream(ws, msg.resumeAfter);
    this.welcomed = true;
    this.attempt = 0;
    this.active = msg.active;
    this.buffer.ack(msg.resumeAfter);
    this.sentUpTo = msg.resumeAfter;
    this.relieve();
    this.opts.log.info({ site: msg.site, active: msg.active, stream: this.streamId, resumeAfter: msg.resumeAfter, resending: this.buffer.size }, "uplink connected");
    this.flushNow(ws);
    this.opts.onWelcome?.();
    this.opts.onOptions(msg.options);
  }

  /**
   * The control plane cannot resume this stream: it lost events it had acknowledged (its state was
   * reset) or names events never sent. Resuming would be refused forever (a sequence gap), so the
   * held events start a new stream from 1, followed by fresh snapshots that restore the truth.
   */
  private restartStream(ws: WebSocket, resumeAfter: number): void {
    const old = this.streamId;
    this.streamId = randomUUID();
    this.opts.log.error({ oldStream: old, stream: this.streamId, resumeAfter, ackedUpTo: this.buffer.ackedUpTo, lastSeq: this.buffer.lastSeq }, "the control plane cannot resume this stream (it lost acknowledged events): starting a new stream with the unacknowledged events and fresh snapshots");
    this.buffer.renumber();
    this.sentUpTo = 0;
    this.opts.onStreamRestart();
    this.attempt = 0;
    this.abandon(ws, 4000, "new stream");
  }

  /** Back-pressure ends once acknowledgements free a fifth of the buffer (hysteresis, not flapping). */
  private relieve(): void {
    if (!this.pressed || this.buffer.size >= this.buffer.capacity * 0.8) return;
    this.pressed = false;
    this.opts.log.info({ buffered: this.buffer.size }, "uplink buffer has room again: resuming the switch links");
    this.opts.onBackpressure(false);
  }

  /**
   * Sends unsent events in batches cut at batch.maxEvents and below the message-size limit, while
   * fewer than BATCHES_IN_FLIGHT batches' worth are unacknowledged (`all` ignores that window).
   */
  private flushNow(ws: WebSocket, all = false): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const { maxEvents } = this.opts.batch;
    const window = maxEvents * BATCHES_IN_FLIGHT;
    while (ws.readyState === WebSocket.OPEN && this.sentUpTo < this.buffer.lastSeq) {
      if (!all && this.sentUpTo - this.buffer.ackedUpTo >= window) return; // the next ack sends more
      const from = this.sentUpTo + 1;
      const parts: string[] = [];
      let bytes = ENVELOPE_BYTES;
      for (let seq = from; seq <= this.buffer.lastSeq && parts.length < maxEvents; seq++) {
        const event = this.buffer.at(seq)!;
        if (parts.length > 0 && bytes + event.bytes + 1 > MAX_UPLINK_MESSAGE_BYTES) break;
        parts.push(event.json);
        bytes += event.bytes + 1;
      }
      if (!this.sendText(ws, `{"t":"events","from":${from},"events":[${parts.join(",")}]}`)) return;
      this.sentUpTo = from + parts.length - 1;
    }
  }

  private sendText(ws: WebSocket, text: string): boolean {
    try {
      ws.send(text);
      return true;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "could not send on the uplink");
      return false;
    }
  }

  /** Gives up on a socket at once (its close event, if it ever comes, is ignored) and reconnects. */
  private abandon(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch { /* already closing */ }
    this.onClose(ws, code, reason, true);
  }

  private onClose(ws: WebSocket, code: number, reason: string, opened: boolean): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    if (this.stopped) return;
    if (!opened) {
      // the upgrade failed: a plain request tells a refused key from an unreachable control plane
      void this.diagnose().then((verdict) => this.scheduleReconnect(verdict));
      return;
    }
    const verdict = this.closeVerdict(code, reason);
    const details = { code, reason, unacknowledged: this.buffer.size };
    if (verdict === "refused") this.opts.log.error(details, "the control plane refused this agent: retrying rarely until it is fixed");
    else this.opts.log.warn(details, wasWelcomed ? "uplink lost: reconnecting" : "uplink closed before welcome: reconnecting");
    this.scheduleReconnect(verdict);
  }

  /** What a close code means for the next attempt (docs/uplink.md, close codes). */
  private closeVerdict(code: number, reason: string): "normal" | "refused" {
    if (code === 4400 || code === 4401 || code === 4403 || code === 1008) return "refused";
    if (code === 4409 && /replaced/i.test(reason)) {
      this.opts.log.error({ agentId: this.opts.agentId }, "another connection with this agentId replaced this one: is a second link agent running with the same agentId?");
    }
    return "normal";
  }

  private async diagnose(): Promise<"normal" | "refused"> {
    const url = this.linkUrl();
    url.protocol = url.protocol === "wss:" || url.protocol === "https:" ? "https:" : "http:";
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${this.opts.linkKey}` }, signal: AbortSignal.timeout(5000) });
      const body = (await res.text()).slice(0, 300);
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        this.opts.log.error({ status: res.status, body, url: url.toString() }, "the control plane refused the uplink: check TSERVER_LINK_KEY (a link key of this site) and LINK_AGENT_SITE; retrying rarely");
        return "refused";
      }
      this.opts.log.warn({ status: res.status, url: url.toString() }, "uplink WebSocket upgrade failed: reconnecting");
    } catch (err) {
      // undici says "fetch failed" and keeps the reason (ECONNREFUSED, a TLS error, ...) in the cause
      const reason = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      this.opts.log.warn({ url: url.toString(), err: reason, unacknowledged: this.buffer.size }, "control plane unreachable: reconnecting");
    }
    return "normal";
  }

  private scheduleReconnect(verdict: "normal" | "refused"): void {
    if (this.stopped || this.retryTimer) return;
    const { minMs, maxMs, refusedMs } = { refusedMs: REFUSED_RETRY_MS, ...(this.opts.backoff ?? { minMs: 500, maxMs: 30_000 }) };
    const delay = verdict === "refused" ? backoffDelay(refusedMs, refusedMs, 0) : backoffDelay(minMs, maxMs, this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
