// One link to the CTIManager side (docs/switch-link.md): hello, snapshot, requests, events,
// keepalive and reconnection. The socket comes from a factory so that a link can be plain TCP or TLS.
import net from "node:net";
import tls, { type ConnectionOptions } from "node:tls";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { encodeFrame, FrameDecoder, FrameError } from "../../shared/node/framing.js";
import { type JtapiEvent, type Snapshot, Snapshot as SnapshotSchema, SWITCH_LINK_PROTOCOL, type SwitchError, type SwitchOp, SwitchToAgent } from "../../shared/switch-link.js";

export type SocketFactory = () => Promise<Duplex & { destroy(): void }>;

export const REQUEST_TIMEOUT_MS = 10_000;
export const PING_EVERY_MS = 15_000;
export const SILENCE_LIMIT_MS = 45_000;

export interface SwitchLinkHandlers {
  /** The link is up and observing: the snapshot of the state before any later event. */
  onUp(snapshot: Snapshot): void;
  onEvents(events: JtapiEvent[]): void;
  onDown(reason: string): void;
}

export type SwitchAnswer = { ok: true; result: Record<string, unknown> } | { ok: false; error: SwitchError | { exception: "Timeout" | "LinkDown"; message: string } };

export class SwitchLinkClient {
  private socket: (Duplex & { destroy(): void }) | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (a: SwitchAnswer) => void; timer: NodeJS.Timeout }>();
  // answers are handed over synchronously, in frame order: a promise would let the events that
  // followed the answer in the same chunk overtake it
  private up = false;
  private stopped = false;
  private attempt = 0;
  private lastHeard = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private paused = false;

  constructor(
    readonly name: string,
    private readonly opts: { user: string; password: string; application: string; connect: SocketFactory; log: Logger; handlers: SwitchLinkHandlers; backoff?: { minMs: number; maxMs: number } },
  ) {}

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
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.drop("link agent stopping");
  }

  /** Back-pressure: stop reading switch events while the uplink cannot take more. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Drops the connection; it reconnects by itself unless stopped. */
  reconnect(reason: string): void {
    this.drop(reason);
  }

  /** Asks the switch for a fresh snapshot of the link's devices (gapless with the event flow). */
  refresh(onSnapshot: (snapshot: Snapshot | null) => void): void {
    this.requestThen({ op: "snapshot" }, (answer) => {
      const snapshot = answer.ok ? SnapshotSchema.safeParse(answer.result) : null;
      onSnapshot(snapshot?.success ? snapshot.data : null);
    });
  }

  async request(op: SwitchOp): Promise<SwitchAnswer> {
    return new Promise((resolve) => this.requestThen(op, resolve));
  }

  /** Sends a request; `onAnswer` runs the moment its answer frame is read, before any later frame. */
  requestThen(op: SwitchOp, onAnswer: (answer: SwitchAnswer) => void): void {
    if (!this.socket || !this.up) return onAnswer({ ok: false, error: { exception: "LinkDown", message: `${this.name} is down` } });
    this.send(op, onAnswer);
  }

  private send(op: SwitchOp, resolve: (answer: SwitchAnswer) => void): void {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      resolve({ ok: false, error: { exception: "Timeout", message: `the switch did not answer ${op.op} within ${REQUEST_TIMEOUT_MS / 1000} s` } });
    }, REQUEST_TIMEOUT_MS);
    this.pending.set(id, { resolve, timer });
    this.write({ type: "request", id, ...op });
  }

  private write(message: unknown): void {
    try {
      this.socket?.write(encodeFrame(message));
    } catch (err) {
      this.opts.log.error({ link: this.name, err: (err as Error).message }, "could not write to the switch link");
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let socket: Duplex & { destroy(): void };
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
      this.lastHeard = Date.now();
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return this.drop(`unreadable frame from the switch: ${err instanceof FrameError ? err.message : String(err)}`);
      }
      for (const frame of frames) {
        const parsed = SwitchToAgent.safeParse(frame);
        if (!parsed.success) {
          this.opts.log.warn({ link: this.name, issue: parsed.error.issues[0]?.message }, "ignored a malformed message from the switch");
          continue;
        }
        const msg = parsed.data;
        if (msg.type === "welcome") {
          welcomed = true;
          this.observe();
        } else if (msg.type === "events") {
          if (this.up) this.opts.handlers.onEvents(msg.events);
        } else if (msg.type === "response") {
          const p = this.pending.get(msg.id);
          if (!p) continue;
          clearTimeout(p.timer);
          this.pending.delete(msg.id);
          p.resolve(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
        } else if (msg.type === "ping") {
          this.write({ type: "pong" });
        } else if (msg.type === "error") {
          this.opts.log.error({ link: this.name, message: msg.message }, "the switch refused the link");
        }
      }
    });
    socket.on("close", () => this.drop(welcomed ? "the switch closed the link" : "the switch closed the link before welcome"));
    socket.on("error", (err) => this.opts.log.warn({ link: this.name, err: err.message }, "switch link socket error"));
    this.write({ type: "hello", protocol: SWITCH_LINK_PROTOCOL, user: this.opts.user, password: this.opts.password, application: this.opts.application, link: this.name });
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) return this.drop(`nothing heard from the switch for ${SILENCE_LIMIT_MS / 1000} s`);
      this.write({ type: "ping" });
    }, PING_EVERY_MS);
    this.pingTimer.unref?.();
  }

  private observe(): void {
    this.send({ op: "snapshot" }, (answer) => this.observed(answer));
  }

  private observed(answer: SwitchAnswer): void {
    if (!answer.ok) return this.drop(`snapshot refused: ${answer.error.message}`);
    const snapshot = SnapshotSchema.safeParse(answer.result);
    if (!snapshot.success) return this.drop(`snapshot malformed: ${snapshot.error.issues[0]?.message}`);
    this.up = true;
    this.attempt = 0;
    this.opts.log.info({ link: this.name, addresses: snapshot.data.addresses.length, calls: snapshot.data.calls.length }, "switch link up");
    this.opts.handlers.onUp(snapshot.data);
  }

  private drop(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    socket.destroy();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { exception: "LinkDown", message: `${this.name} went down: ${reason}` } });
      this.pending.delete(id);
    }
    const wasUp = this.up;
    this.up = false;
    if (wasUp) {
      this.opts.log.warn({ link: this.name, reason }, "switch link down");
      this.opts.handlers.onDown(reason);
    } else if (!this.stopped) {
      this.opts.log.warn({ link: this.name, reason }, "switch link not established");
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const { minMs, maxMs } = this.opts.backoff ?? { minMs: 500, maxMs: 30_000 };
    const delay = Math.min(maxMs, minMs * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }
}
