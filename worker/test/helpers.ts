// Test helpers: the worker's own HTTP surface, a fake link agent on the real uplink WebSocket, and a
// client event stream, all through the worker's fetch handler inside workerd.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import type { SiteToAgent, SwitchEvent } from "../../shared/uplink.js";

export const ADMIN = "test-admin-token-0123456789abcdef0123";
const BASE = "http://tserver.test";

type Fetcher = { fetch: (input: string | Request, init?: RequestInit) => Promise<Response> };
const worker = (exports as unknown as { default: Fetcher }).default;

export async function api(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await worker.fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* text */ }
  return { status: res.status, body: parsed };
}

export interface Provisioned {
  tenant: string;
  client: string;
  config: string;
  link: Record<string, string>;
}

export async function provision(tenant: string, sites: string[], dns: Record<string, Array<{ number: string; type?: string; switchSpecificType?: number }>> = {}): Promise<Provisioned> {
  expect((await api("PUT", `/v1/tenants/${tenant}`, ADMIN)).status).toBe(201);
  const link: Record<string, string> = {};
  for (const site of sites) {
    expect((await api("PUT", `/v1/tenants/${tenant}/sites/${site}`, ADMIN)).status).toBe(201);
    link[site] = (await api("POST", `/v1/tenants/${tenant}/keys`, ADMIN, { role: "link", site })).body.key;
  }
  const client = (await api("POST", `/v1/tenants/${tenant}/keys`, ADMIN, { role: "client" })).body.key;
  const config = (await api("POST", `/v1/tenants/${tenant}/keys`, ADMIN, { role: "config" })).body.key;
  for (const [site, list] of Object.entries(dns)) {
    for (const dn of list) {
      const r = await api("PUT", `/v1/sites/${site}/dns/${dn.number}`, config, { type: dn.type ?? "Extension", ...(dn.switchSpecificType ? { switchSpecificType: dn.switchSpecificType } : {}) });
      expect(r.status).toBe(201);
    }
  }
  return { tenant, client, config, link };
}

async function openSocket(path: string, key: string): Promise<WebSocket> {
  const res = await worker.fetch(`${BASE}${path}`, { headers: { upgrade: "websocket", authorization: `Bearer ${key}` } });
  if (!res.webSocket) throw new Error(`no WebSocket: HTTP ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return res.webSocket;
}

export async function until<T>(check: () => T | undefined | false, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A link agent reduced to its protocol: hello, numbered events, acks, commands. */
export class FakeAgent {
  received: SiteToAgent[] = [];
  /** The close code, once the control plane closed the socket. */
  closedWith: number | null = null;
  private seq = 0;
  private keepalive: ReturnType<typeof setInterval>;
  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (m) => {
      if (m.data === "pong") return;
      this.received.push(JSON.parse(String(m.data)) as SiteToAgent);
    });
    ws.addEventListener("close", (e) => { this.closedWith = e.code; clearInterval(this.keepalive); });
    // the real agent pings every 3 s (link-agent/src/uplink.ts): without it a slow test is taken for a dead agent
    this.keepalive = setInterval(() => { try { ws.send("ping"); } catch { /* closed */ } }, 3_000);
  }

  /** Waits for an ack of `upTo` among the messages from index `since` on; a socket the control plane closed meanwhile fails at once, saying why. */
  private async acked(upTo: number, since = 0): Promise<void> {
    await until(() => {
      if (this.received.some((m, i) => i >= since && m.t === "ack" && m.upTo >= upTo)) return true;
      if (this.closedWith !== null) throw new Error(`the control plane closed the uplink (${this.closedWith}) before acking ${upTo}: ${JSON.stringify(this.received.filter((m) => m.t === "error"))}`);
      return false;
    }, `ack of ${upTo}`);
  }

  static async connect(site: string, key: string, opts: { agentId?: string; stream?: string; links?: boolean } = {}): Promise<FakeAgent> {
    const agent = new FakeAgent(await openSocket(`/v1/sites/${site}/link`, key));
    agent.ws.send(JSON.stringify({ t: "hello", protocol: 1, agentId: opts.agentId ?? "agent-1", stream: opts.stream ?? "stream-1", role: "primary", links: [{ name: "link-1", up: opts.links ?? true }] }));
    await until(() => agent.received.find((m) => m.t === "welcome"), "welcome");
    return agent;
  }

  get welcome() {
    return this.received.find((m) => m.t === "welcome") as Extract<SiteToAgent, { t: "welcome" }>;
  }

  /** Sends events as one batch and waits for their ack (the control plane applied them). */
  async send(...events: SwitchEvent[]): Promise<void> {
    const from = this.seq + 1;
    this.seq += events.length;
    this.ws.send(JSON.stringify({ t: "events", from, events }));
    await this.acked(this.seq);
  }

  /** Sends events as one batch without waiting for the ack; returns the batch's sequence numbers. */
  push(...events: unknown[]): { from: number; upTo: number } {
    const from = this.seq + 1;
    this.seq += events.length;
    this.ws.send(JSON.stringify({ t: "events", from, events }));
    return { from, upTo: this.seq };
  }

  /** Sends a batch again from `from` (what an agent does after a reconnect), waiting for its ack. */
  async resend(from: number, ...events: SwitchEvent[]): Promise<void> {
    this.seq = Math.max(this.seq, from + events.length - 1);
    // the ack must answer this resend: the first sending's ack may already be here, and returning on it
    // let the next batch reach the Site before the resend did (seen in workerd under load)
    const since = this.received.length;
    this.ws.send(JSON.stringify({ t: "events", from, events }));
    await this.acked(from + events.length - 1, since);
  }

  async nextCommand(): Promise<Extract<SiteToAgent, { t: "command" }>> {
    const cmd = await until(() => this.received.find((m): m is Extract<SiteToAgent, { t: "command" }> => m.t === "command"), "a command");
    this.received.splice(this.received.indexOf(cmd), 1);
    return cmd;
  }

  /** Closes and lets the control plane finish what the close sets off (link down fan-out). */
  async close(): Promise<void> {
    clearInterval(this.keepalive);
    this.ws.close(1000, "test done");
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class EventStream {
  events: TEvent[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (m) => {
      const data = JSON.parse(String(m.data)) as TEvent | TEvent[];
      this.events.push(...(Array.isArray(data) ? data : [data]));
    });
  }

  static async open(sessionId: string, key: string, after?: number): Promise<EventStream> {
    return new EventStream(await openSocket(`/v1/sessions/${sessionId}/events${after === undefined ? "" : `?after=${after}`}`, key));
  }

  async waitFor(count: number): Promise<TEvent[]> {
    await until(() => this.events.length >= count, `${count} events (have ${this.events.map((e) => e.event).join(", ")})`);
    return this.events;
  }

  async close(): Promise<void> {
    this.ws.close(1000, "test done");
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const now = () => new Date().toISOString();
