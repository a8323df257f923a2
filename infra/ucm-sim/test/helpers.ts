import net from "node:net";
import { readFileSync } from "node:fs";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";
import type { JtapiEvent } from "../../../shared/switch-link.js";
import { startSimulator, type Simulator } from "../src/index.js";

export const demoConfig = () => JSON.parse(readFileSync(new URL("../config/demo.json", import.meta.url), "utf8"));

export async function sim(): Promise<Simulator> {
  return startSimulator({ config: demoConfig(), host: "127.0.0.1", controlPort: 0 });
}

/** Records a cluster's batches as compact "Event@address" strings. */
export function record(s: Simulator, cluster: string): { events: JtapiEvent[]; trail(): string[]; clear(): void } {
  const events: JtapiEvent[] = [];
  s.cluster(cluster).onBatch((batch) => events.push(...batch));
  return {
    events,
    trail: () => events.map((e) => `${e.id}@${e.address ?? ""}${e.cause !== 100 ? `#${e.cause}` : ""}`),
    clear: () => { events.length = 0; },
  };
}

/** A raw switch-link client over TCP. */
export class LinkClient {
  frames: any[] = [];
  private decoder = new FrameDecoder();
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on("data", (c) => this.frames.push(...this.decoder.push(c)));
    socket.on("close", () => { this.closed = true; });
  }
  static async connect(port: number): Promise<LinkClient> {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((r, j) => { socket.once("connect", () => r()); socket.once("error", j); });
    return new LinkClient(socket);
  }
  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }
  async hello(password = "ctimanager-demo-a"): Promise<any> {
    this.send({ type: "hello", protocol: 1, user: "tserver", password, application: "test", link: "link-1" });
    return this.waitFor((f) => f.type === "welcome" || f.type === "error");
  }
  async waitFor(match: (f: any) => boolean, ms = 3000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(match);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no matching frame; have ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  async waitClosed(ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error("socket still open");
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

export async function control(s: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.controlUrl}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** A simulator on the demo plan with some devices' options changed: { "site-a": { "1901": { mediaTimeoutMs: 50 } } }. */
export async function simWith(devices: Record<string, Record<string, Record<string, unknown>>>, clusters: Record<string, Record<string, unknown>> = {}): Promise<Simulator> {
  const config = demoConfig();
  for (const c of config.clusters) {
    Object.assign(c, clusters[c.name] ?? {});
    for (const d of c.devices) Object.assign(d, devices[c.name]?.[d.dn] ?? {});
  }
  return startSimulator({ config, host: "127.0.0.1", controlPort: 0 });
}

/** Waits until `test` holds, checking as events arrive (no fixed sleep). */
export async function until(test: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
