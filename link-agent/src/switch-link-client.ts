// One link to the CTIManager side (docs/switch-link.md): hello, welcome, snapshot (which starts the
// event flow), requests with ids and a timeout, keepalive, and reconnection with back-off. The socket
// comes from a factory, so a link runs over plain TCP or TLS (link-agent/src/tls) alike.
import net from "node:net";
import tls, { type ConnectionOptions } from "node:tls";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { z } from "zod";
import { encodeFrame, FrameDecoder, FrameError } from "../../shared/node/framing.js";
import {
  EventBatch, type JtapiEvent, JtapiEvent as JtapiEventSchema, type Snapshot, Snapshot as SnapshotSchema, SWITCH_LINK_PROTOCOL,
  type SwitchError, type SwitchOp, SwitchToAgent,
} from "../../shared/switch-link.js";
import { backoffDelay } from "./backoff.js";

export type LinkSocket = Duplex & { destroy(): void };
/** Opens the link's byte stream (TCP, TLS, or a test's fake). */
export type SocketFactory = () => Promise<LinkSocket>;

export const REQUEST_TIMEOUT_MS = 10_000;
export const PING_EVERY_MS = 15_000;
export const SILENCE_LIMIT_MS = 45_000;

export interface SwitchLinkTiming {
  /** A request (and the hello) unanswered this long fails. */
  requestTimeoutMs: number;
  pingEveryMs: number;
  /** Nothing heard this long: the link is dead. */
  silenceMs: number;
  backoff: { minMs: number; maxMs: number };
}

const DEFAULT_TIMING: SwitchLinkTiming = {
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  pingEveryMs: PING_EVERY_MS,
  silenceMs: SILENCE_LIMIT_MS,
  backoff: { minMs: 500, maxMs: 30_000 },
};

export interface SwitchLinkHandlers {
  /** The link is up and observing: the state before any later event. */
  onUp(snapshot: Snapshot): void;
  onEvents(events: JtapiEvent[]): void;
  /** Only after onUp: the link that was up went down. */
  onDown(reason: string): void;
}

/** Failures the agent adds to the switch's own exceptions. */
export type LocalFailure = { exception: "Timeout" | "LinkDown"; message: string };
export type SwitchAnswer = { ok: true; result: Record<string, unknown> } | { ok: false; error: SwitchError | LocalFailure };

/** The events envelope, with each event checked on its own: one bad event must not cost its batch. */
const LooseEventBatch = EventBatch.extend({ events: z.array(z.unknown()) });

export interface SwitchLinkOptions {
  user: string;
  password: string;
  application: string;
  connect: SocketFactory;
  log: Logger;
  handlers: SwitchLinkHandlers;
  timing?: Partial<SwitchLinkTiming>;
}

export class SwitchLinkClient {
  private socket: LinkSocket | null = null;
  private nextId = 1;
  // answers are handed over synchronously, in frame order: a promise would let the events that
  // followed the answer in the same chunk overtake it (the command result must precede them)
  private pending = new Map<number, { onAnswer: (a: SwitchAnswer) => void; timer: NodeJS.Timeout; pages?: Array<Record<string, unknown>> }>();
  private up = false;
  private stopped = true;
  private attempt = 0;
  private lastHeard = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private readonly timing: SwitchLinkTiming;

  constructor(readonly name: string, private readonly opts: SwitchLinkOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
  }

  static tcp(host: string, port: number): SocketFactory {
    return () => new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      socket.once("connect", () => { socket.off("error", reject); resolve(socket); });
      socket.once("error", reject);
    });
  }

  static tls(host: string, port: number, options: ConnectionOptions): SocketFactory {
    return () => new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, ...options });
      socket.setNoDelay(true);
      socket.once("secureConnect", () => { socket.off("error", reject); resolve(socket); });
      socket.once("error", reject);
    });
  }

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.drop("link agent stopping");
  }

  /** Back-pressure: stop reading the switch while the uplink cannot take more (TCP pushes back on the switch). */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // nothing was read while paused: silence from then on says nothing about the switch
    this.lastHeard = Date.now();
    this.socket?.resume();
  }

  /** Drops the connection; it reconnects by itself unless stopped. */
  reconnect(reason: string): void {
    this.drop(reason);
  }

  /** Asks the switch for a fresh snapshot (gapless with the event flow); null when it did not give one. */
  refresh(onSnapshot: (snapshot: Snapshot | null) => void): void {
    this.requestThen({ op: "snapshot" }, (answer) => {
      const snapshot = answer.ok ? SnapshotSchema.safeParse(answer.result) : null;
      onSnapshot(snapshot?.success ? snapshot.data : null);
    });
  }

  request(op: SwitchOp): Promise<SwitchAnswer> {
    return new Promise((resolve) => this.requestThen(op, resolve));
  }

  /** Sends a request; `onAnswer` runs the moment its answer frame is read, before any later frame. */
  requestThen(op: SwitchOp, onAnswer: (answer: SwitchAnswer) => void): void {
    if (!this.socket || !this.up) return onAnswer({ ok: false, error: { exception: "LinkDown", message: `${this.name} is down` } });
    this.send(op, onAnswer);
  }

  private send(op: SwitchOp, onAnswer: (answer: SwitchAnswer) => void): void {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      this.safely("request timeout", () => onAnswer({ ok: false, error: { exception: "Timeout", message: `the switch did not answer ${op.op} within ${this.timing.requestTimeoutMs / 1000} s` } }));
    }, this.timing.requestTimeoutMs);
    this.pending.set(id, { onAnswer, timer });
    this.write({ type: "request", id, ...op });
  }

  private write(message: unknown): void {
    try {
      this.socket?.write(encodeFrame(message));
    } catch (err) {
      this.opts.log.error({ link: this.name, err: (err as Error).message }, "could not write to the switch link");
    }
  }

  /** Runs a handler; a failure there is logged, never thrown into the socket's event loop. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ link: this.name, what, err: (err as Error).message, stack: (err as Error).stack }, "switch link handler failed");
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let socket: LinkSocket;
    try {
      socket = await this.opts.connect();
    } catch (err) {
      this.opts.log.warn({ link: this.name, err: (err as Error).message }, "switch link connect failed");
      return this.scheduleRetry();
    }
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.lastHeard = Date.now();
    if (this.paused) socket.pause();
    const decoder = new FrameDecoder();
    let welcomed = false;
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.lastHeard = Date.now();
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        const why = err instanceof FrameError ? err.message : String(err);
        this.opts.log.error({ link: this.name, err: why }, "unreadable frame from the switch: closing the link");
        return this.drop(`unreadable frame from the switch: ${why}`);
      }
      for (const frame of frames) {
        if (this.socket !== socket) return; // a frame before this one dropped the link
        const parsed = SwitchToAgent.safeParse(frame);
        if (parsed.success) {
          if (parsed.data.type === "welcome") welcomed = true;
          this.onFrame(parsed.data);
        } else if (!this.onLooseEvents(frame)) {
          this.opts.log.warn({ link: this.name, type: (frame as { type?: unknown })?.type, issue: parsed.error.issues[0]?.message }, "ignored a malformed message from the switch");
        }
      }
    });
    socket.on("close", () => this.drop(welcomed ? "the switch closed the link" : "the switch closed the link before welcome"));
    socket.on("error", (err) => this.opts.log.warn({ link: this.name, err: err.message }, "switch link socket error"));
    this.write({ type: "hello", protocol: SWITCH_LINK_PROTOCOL, user: this.opts.user, password: this.opts.password, application: this.opts.application, link: this.name });
    this.helloTimer = setTimeout(() => this.drop(`no welcome from the switch within ${this.timing.requestTimeoutMs / 1000} s`), this.timing.requestTimeoutMs);
    this.startKeepalive();
  }

  private onFrame(msg: SwitchToAgent): void {
    switch (msg.type) {
      case "welcome":
        if (this.helloTimer) clearTimeout(this.helloTimer);
        if (msg.protocol !== SWITCH_LINK_PROTOCOL) return this.drop(`the switch speaks switch-link protocol ${msg.protocol}, this agent ${SWITCH_LINK_PROTOCOL}`);
        if (msg.provider !== "IN_SERVICE") this.opts.log.warn({ link: this.name, cluster: msg.cluster }, "the switch's provider is out of service");
        this.opts.log.info({ link: this.name, cluster: msg.cluster }, "switch link welcomed: asking for the snapshot");
        return this.send({ op: "snapshot" }, (answer) => this.observed(answer));
      case "events":
        // events before the snapshot's answer are in the snapshot already
        if (this.up) this.safely("events", () => this.opts.handlers.onEvents(msg.events));
        return;
      case "response": {
        const p = this.pending.get(msg.id);
        if (!p) return; // answered too late: its request already timed out
        if (msg.ok && msg.more) {
          // a page of a result too large for one frame (a big cluster's snapshot): more follows
          (p.pages ??= []).push(msg.result);
          return;
        }
        clearTimeout(p.timer);
        this.pending.delete(msg.id);
        const result = msg.ok && p.pages ? joinPages([...p.pages, msg.result]) : msg.ok ? msg.result : undefined;
        this.safely("response", () => p.onAnswer(msg.ok ? { ok: true, result: result! } : { ok: false, error: msg.error }));
        return;
      }
      case "ping":
        return this.write({ type: "pong" });
      case "pong":
        return;
      case "error":
        this.opts.log.error({ link: this.name, message: msg.message }, "the switch refused the link");
        return;
    }
  }

  /** An events batch that failed as a whole: keep its good events, log the bad ones. Returns false if it was no batch. */
  private onLooseEvents(frame: unknown): boolean {
    const batch = LooseEventBatch.safeParse(frame);
    if (!batch.success) return false;
    const good: JtapiEvent[] = [];
    for (const raw of batch.data.events) {
      const e = JtapiEventSchema.safeParse(raw);
      if (e.success) good.push(e.data);
      else this.opts.log.warn({ link: this.name, id: (raw as { id?: unknown })?.id, issue: e.error.issues[0]?.message }, "ignored a malformed event from the switch");
    }
    if (this.up && good.length) this.safely("events", () => this.opts.handlers.onEvents(good));
    return true;
  }

  private startKeepalive(): void {
    const { pingEveryMs, silenceMs } = this.timing;
    let lastPing = Date.now();
    this.keepaliveTimer = setInterval(() => {
      const now = Date.now();
      if (!this.paused && now - this.lastHeard > silenceMs) return this.drop(`nothing heard from the switch for ${Math.round(silenceMs / 1000)} s`);
      if (now - lastPing >= pingEveryMs) {
        lastPing = now;
        this.write({ type: "ping" });
      }
    }, Math.max(10, Math.min(pingEveryMs, silenceMs / 9)));
    this.keepaliveTimer.unref?.();
  }

  private observed(answer: SwitchAnswer): void {
    if (!answer.ok) return this.drop(`snapshot refused: ${answer.error.exception}: ${answer.error.message}`);
    const snapshot = SnapshotSchema.safeParse(answer.result);
    if (!snapshot.success) return this.drop(`snapshot malformed: ${snapshot.error.issues[0]?.path.join(".")}: ${snapshot.error.issues[0]?.message}`);
    this.up = true;
    this.attempt = 0;
    this.opts.log.info({ link: this.name, addresses: snapshot.data.addresses.length, calls: snapshot.data.calls.length }, "switch link up");
    this.safely("up", () => this.opts.handlers.onUp(snapshot.data));
  }

  private drop(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    socket.destroy();
    const wasUp = this.up;
    this.up = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      this.safely("link down", () => p.onAnswer({ ok: false, error: { exception: "LinkDown", message: `${this.name} went down: ${reason}` } }));
    }
    if (wasUp) {
      this.opts.log.warn({ link: this.name, reason }, "switch link down");
      this.safely("down", () => this.opts.handlers.onDown(reason));
    } else if (!this.stopped) {
      this.opts.log.warn({ link: this.name, reason }, "switch link not established");
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const { minMs, maxMs } = this.timing.backoff;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, backoffDelay(minMs, maxMs, this.attempt++));
  }
}

/** A paged result is its pages' arrays end to end (docs/switch-link.md, paged results); other fields come from the last page. */
export function joinPages(pages: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const page of pages) {
    for (const [k, v] of Object.entries(page)) {
      const had = out[k];
      out[k] = Array.isArray(v) && Array.isArray(had) ? had.concat(v) : v;
    }
  }
  return out;
}
