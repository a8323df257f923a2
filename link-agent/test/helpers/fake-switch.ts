// A small fake CTIManager side for switch link tests: a TCP server speaking the framed switch-link
// protocol, scripted by the test (what to answer, what to send, when to misbehave).
import net from "node:net";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";
import type { JtapiEvent, Snapshot } from "../../../shared/switch-link.js";

export interface FakeSwitchConnection {
  socket: net.Socket;
  received: any[];
  send(message: unknown): void;
}

export class FakeSwitch {
  readonly server: net.Server;
  connections: FakeSwitchConnection[] = [];
  snapshot: Snapshot = { addresses: [], calls: [] };
  /** Requests the switch never answers (by op). */
  silentOps = new Set<string>();
  /** Answers to requests other than snapshot, by op (default: ok with an empty result). */
  answers: Record<string, (request: any) => any> = {};
  /** Requests of these ops are answered only when the test calls release(op) (the answer is computed at once). */
  heldOps = new Set<string>();
  private heldAnswers = new Map<string, () => void>();
  /** Events sent right after the answer to a request, by op (the switch's order: response first). */
  eventsAfter: Record<string, (request: any) => JtapiEvent[]> = {};
  welcome = true;
  password = "secret";

  private constructor() {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(): Promise<FakeSwitch> {
    const sw = new FakeSwitch();
    await new Promise<void>((r) => sw.server.listen(0, "127.0.0.1", r));
    return sw;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get last(): FakeSwitchConnection {
    return this.connections[this.connections.length - 1]!;
  }

  private accept(socket: net.Socket): void {
    const decoder = new FrameDecoder();
    const conn: FakeSwitchConnection = { socket, received: [], send: (m) => socket.write(encodeFrame(m)) };
    this.connections.push(conn);
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      for (const msg of decoder.push(chunk) as any[]) {
        conn.received.push(msg);
        if (msg.type === "hello") {
          if (!this.welcome) continue;
          if (msg.password !== this.password) {
            conn.send({ type: "error", message: "authentication failed" });
            socket.end();
            continue;
          }
          conn.send({ type: "welcome", protocol: 1, cluster: "site-a", provider: "IN_SERVICE", time: new Date().toISOString() });
        } else if (msg.type === "ping") {
          conn.send({ type: "pong" });
        } else if (msg.type === "request" && !this.silentOps.has(msg.op)) {
          const result = msg.op === "snapshot" ? { ok: true, result: this.snapshot } : (this.answers[msg.op]?.(msg) ?? { ok: true, result: {} });
          // one write for the answer and the events it caused: they arrive in one chunk, answer first
          const frames = [encodeFrame({ type: "response", id: msg.id, ...result })];
          const events = this.eventsAfter[msg.op]?.(msg);
          if (events?.length) frames.push(encodeFrame({ type: "events", events }));
          if (this.heldOps.has(msg.op)) this.heldAnswers.set(msg.op, () => socket.write(Buffer.concat(frames)));
          else socket.write(Buffer.concat(frames));
        }
      }
    });
  }

  /** Sends the held answer to a request of `op` (and stops holding that op); false when none is held. */
  release(op: string): boolean {
    this.heldOps.delete(op);
    const answer = this.heldAnswers.get(op);
    this.heldAnswers.delete(op);
    answer?.();
    return !!answer;
  }

  /** Sends events to every open connection. */
  events(events: JtapiEvent[]): void {
    for (const c of this.connections) if (!c.socket.destroyed) c.send({ type: "events", events });
  }

  dropAll(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((r) => this.server.close(r));
  }
}
