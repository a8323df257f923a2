// Session: one per client session. Owns the client's event WebSocket, what it registered, a bounded
// event log with per-session sequence numbers for replay, and its liveness. When it ends, the DNs it
// registered hear of it (a T-Library client disconnect).
import { DurableObject } from "cloudflare:workers";
import { type Env, dnStub, siteStub, tenantStub } from "../env.js";
import type { TEvent } from "../../../shared/client-api.js";
import { log } from "../log.js";

/** Replay retention: the newest events of a session, bounded by count and by age. */
export const RETENTION_EVENTS = 10_000;
export const RETENTION_MS = 24 * 3600_000;
/** A session that never opened its event socket ends after this much idleness. */
const IDLE_WITHOUT_SOCKET_MS = 10 * 60_000;
/** Clients send the text `ping` at least this often; the server checks at this period too. */
export const CLIENT_PING_MS = 30_000;
/** A socket silent this long (no ping, no message) is taken for dead and closed 4408. */
export const CLIENT_SILENCE_MS = 90_000;
/** The count-based prune deletes in steps of this many events (retention is RETENTION_EVENTS to RETENTION_EVENTS + PRUNE_STEP). */
const PRUNE_STEP = 100;
/** referenceIDs reserved per storage write. */
const REFERENCE_BLOCK = 1000;
/** How many agent streams a session remembers its position in (sites x agents it hears from). */
const STREAMS_REMEMBERED = 16;

export class Session extends DurableObject<Env> {
  private tenant = "";
  private sessionId = "";
  private state: "none" | "open" | "ended" = "none";
  private nextSeq = 1;
  private nextReferenceID = 1;
  /** referenceIDs below this are reserved in storage: one write per REFERENCE_BLOCK requests, not one per request. */
  private referenceReserved = 1;
  /** The agent streams' positions (a copy of meta 'streams', read once). */
  private streams: Record<string, number> | null = null;
  /** The seq below which the count-based prune last deleted. */
  private prunedBelow = 0;
  /** The key that created the session: only it reaches the session (another key finds no such session). */
  private owner = "";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      // an id nobody created has no storage, and asking about it creates none
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length === 0) return;
      this.createTables();
      for (const r of sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta")) {
        if (r.k === "tenant") this.tenant = r.v;
        if (r.k === "sessionId") this.sessionId = r.v;
        if (r.k === "state") this.state = r.v as Session["state"];
        // a restart skips what was left of the reserved block: referenceIDs stay unique, never reused
        if (r.k === "nextReferenceID") this.nextReferenceID = this.referenceReserved = Number(r.v);
        if (r.k === "owner") this.owner = r.v;
      }
      const top = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").toArray()[0];
      const storedNext = sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'nextSeq'").toArray()[0];
      this.nextSeq = Math.max((top?.seq ?? 0) + 1, Number(storedNext?.v ?? 1));
    });
  }

  private createTables(): void {
    this.ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_at ON events (at);
      CREATE TABLE IF NOT EXISTS registrations (site TEXT NOT NULL, dn TEXT NOT NULL, PRIMARY KEY (site, dn));
    `);
  }

  private setMeta(k: string, v: string | number): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", k, String(v));
  }

  async create(tenant: string, sessionId: string, keyId: string): Promise<void> {
    this.createTables();
    this.tenant = tenant;
    this.sessionId = sessionId;
    this.owner = keyId;
    this.state = "open";
    this.setMeta("owner", keyId);
    this.setMeta("tenant", tenant);
    this.setMeta("sessionId", sessionId);
    this.setMeta("state", "open");
    this.setMeta("created", new Date().toISOString());
    await this.ctx.storage.setAlarm(Date.now() + IDLE_WITHOUT_SOCKET_MS);
  }

  /** Open, and reached with the key that created it. */
  isOpen(keyId: string): boolean {
    return this.state === "open" && keyId === this.owner;
  }

  /** Starts a request of this session: returns its referenceID, or null when the session does not exist (any more, or for this key). */
  beginRequest(keyId: string, referenceID?: number): number | null {
    if (!this.isOpen(keyId)) return null;
    const id = referenceID ?? this.nextReferenceID;
    this.nextReferenceID = Math.max(this.nextReferenceID, id + 1);
    if (this.nextReferenceID > this.referenceReserved) {
      this.referenceReserved = this.nextReferenceID + REFERENCE_BLOCK;
      this.setMeta("nextReferenceID", this.referenceReserved);
    }
    if (this.ctx.getWebSockets().length === 0) void this.armIdleEnd();
    return id;
  }

  registered(site: string, dn: string, on: boolean): void {
    if (on) this.ctx.storage.sql.exec("INSERT OR IGNORE INTO registrations (site, dn) VALUES (?, ?)", site, dn);
    else this.ctx.storage.sql.exec("DELETE FROM registrations WHERE site = ? AND dn = ?", site, dn);
  }

  registrations(): Array<{ site: string; dn: string }> {
    return this.ctx.storage.sql.exec<{ site: string; dn: string }>("SELECT site, dn FROM registrations ORDER BY site, dn").toArray();
  }

  /**
   * Numbers, stores and pushes events; they are kept for replay whether or not a socket is open.
   * `from`: the agent stream the events come from and each one's sequence number in it; events at or
   * below what this session already stored of that stream are skipped (the Site resent a batch).
   */
  deliver(events: TEvent[], from?: { stream: string; seqs: number[] }): void {
    if (this.state !== "open" || events.length === 0) return;
    if (from) {
      const streams = this.streamPositions();
      const seen = streams[from.stream] ?? 0;
      const fresh = events.filter((_, i) => (from.seqs[i] ?? 0) > seen);
      if (fresh.length === 0) return;
      delete streams[from.stream];
      streams[from.stream] = Math.max(seen, ...from.seqs);
      const keep = Object.keys(streams).slice(-STREAMS_REMEMBERED);
      this.streams = Object.fromEntries(keep.map((k) => [k, streams[k]!]));
      this.setMeta("streams", JSON.stringify(this.streams));
      events = fresh;
    }
    const now = Date.now();
    const numbered = events.map(({ event, seq: _seq, site, time, ...attributes }) => {
      // attribute order a person can read: name, seq, site, time, then the rest
      const ordered: TEvent = { event, seq: this.nextSeq++, site, time: time ?? new Date(now).toISOString(), ...attributes };
      this.ctx.storage.sql.exec("INSERT INTO events (seq, at, body) VALUES (?, ?, ?)", ordered.seq!, now, JSON.stringify(ordered));
      return ordered;
    });
    this.prune(now);
    const frame = JSON.stringify(numbered.length === 1 ? numbered[0] : numbered);
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      try { ws.send(frame); } catch { /* closing: the client replays with ?after= */ }
    }
  }

  private streamPositions(): Record<string, number> {
    if (!this.streams) {
      const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'streams'").toArray()[0];
      this.streams = row ? (JSON.parse(row.v) as Record<string, number>) : {};
    }
    return this.streams;
  }


  private lastAgePrune = 0;

  /**
   * Both deletes seek an index (seq, at); the count one runs every PRUNE_STEP events, the age one at
   * most once a minute (issue 13: a full scan, then a statement, per delivery).
   */
  private prune(now: number): void {
    const oldestKept = this.nextSeq - RETENTION_EVENTS;
    if (oldestKept > 1 && oldestKept - this.prunedBelow >= PRUNE_STEP) {
      this.prunedBelow = oldestKept;
      this.ctx.storage.sql.exec("DELETE FROM events WHERE seq < ?", oldestKept);
    }
    if (now - this.lastAgePrune < 60_000) return;
    this.lastAgePrune = now;
    // the table may end up empty: the next seq is kept where MAX(seq) cannot tell it
    this.setMeta("nextSeq", this.nextSeq);
    this.ctx.storage.sql.exec("DELETE FROM events WHERE at < ?", now - RETENTION_MS);
  }

  override async fetch(request: Request): Promise<Response> {
    if (!this.isOpen(request.headers.get("x-key-id") ?? "")) return Response.json({ error: "no such session" }, { status: 404 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const afterParam = new URL(request.url).searchParams.get("after");
    const after = afterParam === null ? null : Number(afterParam);
    if (after !== null && (!Number.isInteger(after) || after < 0)) {
      return Response.json({ event: "EventError", errorCode: 53, errorMessage: "after must be a non-negative integer (the last seq seen)" }, { status: 400 });
    }
    // one event socket per session: a reconnect replaces the old socket
    for (const old of this.ctx.getWebSockets()) {
      try { old.close(4000, "replaced by a newer connection of this session"); } catch { /* gone */ }
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ acceptedAt: Date.now() });
    this.setMeta("disconnectedAt", "");
    this.setMeta("socketOpen", "1");
    // the keepalive check: a client that goes silent (no ping) is taken for gone
    await this.ctx.storage.setAlarm(Date.now() + CLIENT_PING_MS);
    if (after !== null) this.replay(pair[1], after);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private replay(ws: WebSocket, after: number): void {
    const sql = this.ctx.storage.sql;
    const oldest = sql.exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM events").toArray()[0]?.seq ?? this.nextSeq;
    if (after + 1 < oldest && after + 1 < this.nextSeq) {
      ws.send(JSON.stringify({
        event: "EventError", seq: 0, time: new Date().toISOString(), errorCode: 57,
        errorMessage: `events ${after + 1} to ${oldest - 1} are no longer retained (retention: the last ${RETENTION_EVENTS} events, at most 24 h); replay starts at ${oldest}`,
        firstSeq: oldest,
      }));
    }
    const batch: string[] = [];
    for (const row of sql.exec<{ body: string }>("SELECT body FROM events WHERE seq > ? ORDER BY seq", after)) {
      batch.push(row.body);
      if (batch.length === 500) {
        ws.send(`[${batch.join(",")}]`);
        batch.length = 0;
      }
    }
    if (batch.length) ws.send(batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    ws.serializeAttachment({ ...(ws.deserializeAttachment() as object | null), heardAt: Date.now() });
    // the event stream is one-way; requests go over HTTPS
    if (message !== "ping") ws.send(JSON.stringify({ event: "EventError", seq: 0, errorCode: 51, errorMessage: "send requests to POST /v1/sites/<site>/requests; this socket only carries events" }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try { ws.close(code === 1005 ? 1000 : code, reason); } catch { /* already closed */ }
    await this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.socketGone(ws);
  }

  private async socketGone(gone: WebSocket | null): Promise<void> {
    if (this.state !== "open") return;
    const others = this.ctx.getWebSockets().filter((ws) => ws !== gone && ws.readyState === WebSocket.OPEN);
    if (others.length > 0) return;
    const grace = await this.graceSeconds();
    this.setMeta("disconnectedAt", Date.now());
    this.setMeta("socketOpen", "");
    if (grace === 0) return this.end("client disconnected");
    await this.ctx.storage.setAlarm(Date.now() + grace * 1000);
  }

  /** The shortest client-disconnect-grace among the sites this session registered DNs on (default 10 s). */
  private async graceSeconds(): Promise<number> {
    const sites = [...new Set(this.registrations().map((r) => r.site))];
    if (sites.length === 0) return 10;
    const values = await Promise.all(sites.map((s) => siteStub(this.env, this.tenant, s).option("TServer", "client-disconnect-grace").catch(() => "10")));
    return Math.min(...values.map(Number));
  }

  private async armIdleEnd(): Promise<void> {
    const disconnectedAt = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'disconnectedAt'").toArray()[0]?.v;
    if (!disconnectedAt) await this.ctx.storage.setAlarm(Date.now() + IDLE_WITHOUT_SOCKET_MS);
  }

  override async alarm(): Promise<void> {
    if (this.state !== "open") return;
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const att = ws.deserializeAttachment() as { acceptedAt?: number; heardAt?: number } | null;
      if (now - Math.max(pinged, att?.acceptedAt ?? 0, att?.heardAt ?? 0) > CLIENT_SILENCE_MS) {
        log.info("client socket silent: closing it", { tenant: this.tenant, sessionId: this.sessionId });
        try { ws.close(4408, "no ping from the client"); } catch { /* gone */ }
        return this.socketGone(ws); // the grace starts now
      }
    }
    if (this.ctx.getWebSockets().some((ws) => ws.readyState === WebSocket.OPEN)) {
      await this.ctx.storage.setAlarm(now + CLIENT_PING_MS);
      return;
    }
    const vanished = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'socketOpen'").toArray()[0]?.v === "1";
    // a socket that vanished without a close (the runtime restarted): the client gets its grace to come back
    if (vanished) return this.socketGone(null);
    await this.end("client disconnected");
  }

  /** Ends the session: every DN it registered forgets it, and nothing more is kept. */
  async end(reason = "session deleted"): Promise<void> {
    if (this.state !== "open") return;
    this.state = "ended";
    this.setMeta("state", "ended");
    log.info("client session ended", { tenant: this.tenant, sessionId: this.sessionId, reason });
    await Promise.all(this.registrations().map(({ site, dn }) =>
      dnStub(this.env, this.tenant, site, dn).sessionEnded(this.sessionId).catch((err) => log.warn("a DN did not hear of a session's end", { site, dn, error: String(err) }))));
    for (const ws of this.ctx.getWebSockets()) {
      try { ws.close(4001, "session ended"); } catch { /* gone */ }
    }
    await tenantStub(this.env, this.tenant).sessionClosed(this.sessionId).catch((err) => log.warn("the tenant did not hear of a session's end", { sessionId: this.sessionId, error: String(err) }));
    // nothing is kept of an ended session: its id is unknown from now on
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
