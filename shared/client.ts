// A small typed client of the HTTPS API, for scripts, tests and the link of a desktop to the server.
// It needs only fetch and a WebSocket constructor (Node 20: pass undici's; browsers: the global one).
import type { ClientRequest, DnObject, RequestAnswer, TEvent } from "./client-api.js";

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: "open" | "close" | "error", listener: (ev: unknown) => void): void;
}
export type WebSocketCtor = new (url: string, init?: { headers?: Record<string, string> } | string[]) => WebSocketLike;

/** How often a client pings its event socket (the server takes 90 s of silence for a dead client). */
export const CLIENT_PING_MS = 30_000;

export interface ClientOptions {
  api: string;
  key: string;
  fetch?: typeof fetch;
  WebSocket?: WebSocketCtor;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
  }
}

export class TServerClient {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly options: ClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<{ status: number; body: T }> {
    const res = await this.fetchImpl(new URL(path, this.options.api).toString(), {
      method,
      headers: { authorization: `Bearer ${this.options.key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* plain text answer */ }
    if (!res.ok && !okStatuses.includes(res.status)) throw new ApiError(res.status, parsed);
    return { status: res.status, body: parsed as T };
  }

  async createSession(): Promise<{ sessionId: string; events: string }> {
    return (await this.call<{ sessionId: string; events: string }>("POST", "/v1/sessions", {})).body;
  }

  async endSession(sessionId: string): Promise<void> {
    await this.call("DELETE", `/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  /** Sends a request; resolves with its answer, whether the answering event is an EventError (422) or not. */
  async request(site: string, request: ClientRequest): Promise<RequestAnswer & { status: number }> {
    const { status, body } = await this.call<RequestAnswer>("POST", `/v1/sites/${encodeURIComponent(site)}/requests`, request, [400, 422]);
    return { status, ...body };
  }

  async putDn(site: string, number: string, dn: DnObject): Promise<void> {
    await this.call("PUT", `/v1/sites/${encodeURIComponent(site)}/dns/${encodeURIComponent(number)}`, dn);
  }

  async putOptions(site: string, section: string, options: Record<string, string>): Promise<void> {
    await this.call("PUT", `/v1/sites/${encodeURIComponent(site)}/options/${encodeURIComponent(section)}`, options);
  }

  /** Opens the session's event stream; `after` replays everything after that seq. */
  openEvents(sessionId: string, onEvent: (event: TEvent) => void, after?: number): WebSocketLike {
    const Ctor = this.options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) throw new Error("no WebSocket implementation: pass one in the client options");
    const url = new URL(`/v1/sessions/${encodeURIComponent(sessionId)}/events`, this.options.api);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (after !== undefined) url.searchParams.set("after", String(after));
    const ws = new Ctor(url.toString(), { headers: { authorization: `Bearer ${this.options.key}` } });
    ws.addEventListener("message", (ev) => {
      if (ev.data === "pong") return; // the answer to our keepalive
      const data = JSON.parse(String(ev.data)) as TEvent | TEvent[];
      for (const e of Array.isArray(data) ? data : [data]) onEvent(e);
    });
    // the server closes a socket it has not heard from in 90 s (docs/client-api.md): ping every 30 s
    const keepalive = setInterval(() => { if (ws.readyState === 1) ws.send("ping"); }, CLIENT_PING_MS);
    (keepalive as { unref?: () => void }).unref?.();
    ws.addEventListener("close", () => clearInterval(keepalive));
    return ws;
  }
}
