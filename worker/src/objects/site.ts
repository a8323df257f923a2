// Site: one per tenant + site (one UCM cluster). Owns the site's application options, the index of
// its configured DNs, the link agents' WebSockets (which one is active), link status, and the ordered
// hand-off of switch events to Dn objects and of the resulting T-Library events to Sessions.
import { DurableObject } from "cloudflare:workers";
import { type Env, dnStub, sessionStub } from "../env.js";
import { AgentToSite, type AgentEvents, type AgentHello, type SiteCommand, type SiteToAgent, UPLINK_PROTOCOL, SwitchEvent, type SnapshotDn } from "../../../shared/uplink.js";
import type { TEvent } from "../../../shared/client-api.js";
import { ErrorCode } from "../../../shared/tlib.js";
import type { Delivery, DnConfig, DnInput, DnSetup } from "../dn/types.js";
import { connIdFor } from "../crypto.js";
import { isLinkSection, optionValue, sectionSpec } from "../options.js";
import { log } from "../log.js";

interface AgentAttachment {
  keyId: string;
  agentId?: string;
  stream?: string;
  role?: "primary" | "backup";
  links: Record<string, boolean>;
  connectedAt: number;
}

export type SendResult = { ok: true; timeoutMs: number } | { ok: false; errorCode: number; errorMessage: string };

/**
 * Agents that stay silent this long (no keepalive, no batch) are taken for dead: a hung agent (socket
 * alive, no traffic) is replaced by its backup within AGENT_SILENCE_MS + KEEPALIVE_CHECK_MS = 12 s
 * (issue 10: 15 s). Agents ping every 3 s (link-agent/src/uplink.ts PING_EVERY_MS), answered by the
 * runtime's auto-response without waking this object; only the check wakes it, every 3 s while agents are connected.
 */
export const AGENT_SILENCE_MS = 9_000;
const KEEPALIVE_CHECK_MS = 3_000;
/** What a secret option reads as; sent back unchanged, it keeps the secret. */
const SECRET_MASK = "********";
/** How many Dn or Session objects one batch talks to at once. */
const FAN_OUT = 64;
/** A batch whose Dn or Session work failed this many times in a row is applied without the failing parts, then repaired by a resync. */
const MAX_APPLY_ATTEMPTS = 3;
/** The most events one drain of the inbox applies at once. */
const MAX_COALESCED_EVENTS = 2000;

export class Site extends DurableObject<Env> {
  private tenant = "";
  private site = "";
  private dns = new Set<string>();
  /** Every configured DN's configuration: the Site is its owner; a Dn object holds a copy. */
  private configs = new Map<string, DnConfig>();
  /** DNs whose Dn object exists (created on first need); the others are idle and cost nothing per event. */
  private live = new Set<string>();
  /** Live DNs this instance has seen take a batch (they need no setup with the next one). */
  private confirmed = new Set<string>();
  /** The switch's service state of idle DNs, from snapshots and service events (forgotten when the link goes down). */
  private idleService = new Map<string, boolean>();
  /** The switch's kind of each idle DN, from the last snapshot (a Dn starting learns it: F3 refusals depend on it). */
  private idleKind = new Map<string, SnapshotDn["kind"]>();
  /** A snapshot came since this instance started: a DN missing from idleService is not on the switch. */
  private idleServiceKnown = false;
  /** The link came up and its snapshot is on its way. */
  private snapshotPending = false;
  private options: Record<string, Record<string, string>> = {};
  private activeAgent: string | null = null;
  private linkUp = false;
  private queue: Promise<void> = Promise.resolve();
  private resyncTimer: ReturnType<typeof setTimeout> | null = null;
  /** The configured DNs each live call (switch callId) has reached, in memory: the parties to tell when user data appears. */
  private callParties = new Map<string, Set<string>>();
  /** connIDs of calls that carry user data (their Call object exists): a DN that joins one fetches the data. */
  private dataCalls = new Set<string>();
  /** The batch being applied now: request-path events wait for it, so they never overtake its switch events. */
  private current: Promise<void> = Promise.resolve();
  /** DNs with a command sent to the active agent since it became active: they hear when that agent goes. */
  private commandDns = new Set<string>();
  /** Per agent socket, the batches received and not yet applied (a drain of them is queued). */
  private inbox = new Map<WebSocket, SalvagedEvents[]>();
  /** Event work queued or running (serial): the agents are not silent while it lasts. */
  private working = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec(`
        CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS options (section TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (section, name));
        CREATE TABLE IF NOT EXISTS dns (number TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS streams (agent_id TEXT PRIMARY KEY, stream TEXT NOT NULL, last_applied INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS data_calls (conn_id TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS idle_oos (number TEXT PRIMARY KEY);
      `);
      for (const r of sql.exec<{ number: string }>("SELECT number FROM idle_oos")) this.idleService.set(r.number, false);
      for (const r of sql.exec<{ conn_id: string }>("SELECT conn_id FROM data_calls")) this.dataCalls.add(r.conn_id);
      for (const r of sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta")) {
        if (r.k === "tenant") this.tenant = r.v;
        if (r.k === "site") this.site = r.v;
        if (r.k === "linkUp") this.linkUp = r.v === "true";
      }
      // DNs of a Site from before the index held configurations: their objects exist (live), config stays with them
      for (const column of ["config TEXT", "live INTEGER NOT NULL DEFAULT 1"]) {
        try { sql.exec(`ALTER TABLE dns ADD COLUMN ${column}`); } catch { /* already there */ }
      }
      for (const r of sql.exec<{ number: string; config: string | null; live: number }>("SELECT number, config, live FROM dns")) {
        this.dns.add(r.number);
        if (r.config) this.configs.set(r.number, JSON.parse(r.config) as DnConfig);
        if (r.live) this.live.add(r.number);
      }
      for (const r of sql.exec<{ section: string; name: string; value: string }>("SELECT section, name, value FROM options")) {
        (this.options[r.section] ??= {})[r.name] = r.value;
      }
      // after an eviction the sockets survive: the active agent is the one that says so in its attachment
      for (const ws of ctx.getWebSockets("agent")) {
        const att = ws.deserializeAttachment() as AgentAttachment & { active?: boolean };
        if (att?.active) this.activeAgent = att.agentId ?? null;
      }
      // sockets that died with the runtime leave no close event: the watchdog finds the link down
      if (this.linkUp && ctx.getWebSockets("agent").length === 0 && (await ctx.storage.getAlarm()) === null) {
        await ctx.storage.setAlarm(Date.now() + KEEPALIVE_CHECK_MS);
      }
    });
  }

  private setMeta(k: string, v: string): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", k, v);
  }

  init(tenant: string, site: string): void {
    this.tenant = tenant;
    this.site = site;
    this.setMeta("tenant", tenant);
    this.setMeta("site", site);
  }

  // ---- options ----

  getOptions(section: string): Record<string, string> {
    const spec = sectionSpec(section) ?? [];
    const stored = this.options[section] ?? {};
    const out: Record<string, string> = {};
    for (const o of spec) out[o.name] = o.secret && stored[o.name] !== undefined ? SECRET_MASK : optionValue(section, o.name, stored);
    return out;
  }

  /** Replaces a section (values already validated by the route). */
  putOptions(section: string, given: Record<string, string>): void {
    // a secret sent back as GET shows it (masked) keeps its stored value: GET-modify-PUT works
    const values = { ...given };
    for (const o of sectionSpec(section) ?? []) {
      if (!o.secret || values[o.name] !== SECRET_MASK) continue;
      const stored = this.options[section]?.[o.name];
      if (stored === undefined) delete values[o.name];
      else values[o.name] = stored;
    }
    this.ctx.storage.sql.exec("DELETE FROM options WHERE section = ?", section);
    for (const [name, value] of Object.entries(values)) {
      this.ctx.storage.sql.exec("INSERT INTO options (section, name, value) VALUES (?, ?, ?)", section, name, value);
    }
    this.options[section] = { ...values };
    if (isLinkSection(section)) {
      const options = this.linkOptions();
      for (const { ws } of this.agentSockets()) this.send(ws, { t: "options", options });
    }
  }

  /** The link sections as the agents need them: secrets included (they travel only on the agent's authenticated socket). */
  private linkOptions(): Record<string, Record<string, string>> {
    return Object.fromEntries(Object.entries(this.options).filter(([section]) => isLinkSection(section)));
  }

  option(section: string, name: string): string {
    return optionValue(section, name, this.options[section]);
  }

  // ---- DN objects ----

  async putDn(number: string, config: DnConfig): Promise<boolean> {
    const created = this.storeDn(number, config);
    if (this.live.has(number)) await dnStub(this.env, this.tenant, this.site, number).configure({ tenant: this.tenant, site: this.site, number }, config, this.linkUp);
    if (created) this.scheduleResync();
    return created;
  }

  /** Bulk provisioning: many DN objects, one resync. Idle DNs get no object; live ones take the new configuration. */
  async putDns(entries: Array<{ number: string; config: DnConfig }>): Promise<{ created: number; replaced: number }> {
    let created = 0;
    const liveOnes: Array<{ number: string; config: DnConfig }> = [];
    for (const { number, config } of entries) {
      if (this.storeDn(number, config)) created++;
      else if (this.live.has(number)) liveOnes.push({ number, config });
    }
    await inChunks(liveOnes, FAN_OUT, async ({ number, config }) => {
      await dnStub(this.env, this.tenant, this.site, number).configure({ tenant: this.tenant, site: this.site, number }, config, this.linkUp);
    });
    if (created > 0) this.scheduleResync();
    return { created, replaced: entries.length - created };
  }

  private storeDn(number: string, config: DnConfig): boolean {
    const created = !this.dns.has(number);
    this.dns.add(number);
    this.configs.set(number, config);
    this.ctx.storage.sql.exec("INSERT INTO dns (number, config, live) VALUES (?, ?, 0) ON CONFLICT (number) DO UPDATE SET config = excluded.config", number, JSON.stringify(config));
    return created;
  }

  async deleteDn(number: string): Promise<boolean> {
    if (!this.dns.has(number)) return false;
    this.dns.delete(number);
    this.configs.delete(number);
    if (this.idleService.delete(number)) this.ctx.storage.sql.exec("DELETE FROM idle_oos WHERE number = ?", number);
    this.confirmed.delete(number);
    this.ctx.storage.sql.exec("DELETE FROM dns WHERE number = ?", number);
    if (this.live.delete(number)) await dnStub(this.env, this.tenant, this.site, number).deconfigure();
    return true;
  }

  hasDn(number: string): boolean {
    return this.dns.has(number);
  }

  getDn(number: string): DnConfig | null {
    return this.dns.has(number) ? this.configs.get(number) ?? null : null;
  }

  /** DN objects in number order, a page at a time: those after `after`, at most `limit`. */
  listDns(after = "", limit = Number.MAX_SAFE_INTEGER): { dns: Array<{ number: string } & Partial<DnConfig>>; next: string | null } {
    const numbers = [...this.dns].filter((n) => n > after).sort();
    const page = numbers.slice(0, limit);
    return {
      dns: page.map((number) => ({ number, ...this.configs.get(number) })),
      next: numbers.length > page.length ? page[page.length - 1]! : null,
    };
  }

  /** A Dn object starting (a request, a monitor): its setup, and it is live from now on. Null: not configured here. */
  dnSetup(number: string): DnSetup | null {
    if (!this.dns.has(number)) return null;
    this.makeLive(number);
    return this.setupOf(number);
  }

  private setupOf(number: string): DnSetup | null {
    const config = this.configs.get(number);
    if (!config) return null;
    const known = this.idleService.get(number);
    // not known since this instance started (it was evicted while the link was up): ask the switch again
    if (known === undefined && this.linkUp && !this.idleServiceKnown && !this.snapshotPending) this.scheduleResync();
    const kind = this.idleKind.get(number);
    return { identity: { tenant: this.tenant, site: this.site, number }, config, linkUp: this.linkUp, switchInService: known ?? false, ...(kind ? { kind } : {}) };
  }

  /** Only the exceptions are stored (idle DNs out of service): a snapshot of 40,000 lines in service writes nothing. */
  private setIdleService(number: string, inService: boolean): void {
    const was = this.idleService.get(number);
    this.idleService.set(number, inService);
    if (!inService && was !== false) this.ctx.storage.sql.exec("INSERT OR IGNORE INTO idle_oos (number) VALUES (?)", number);
    if (inService && was === false) this.ctx.storage.sql.exec("DELETE FROM idle_oos WHERE number = ?", number);
  }

  private forgetIdleService(): void {
    this.idleService.clear();
    this.idleServiceKnown = false;
    this.ctx.storage.sql.exec("DELETE FROM idle_oos");
  }

  private makeLive(number: string): void {
    if (this.live.has(number)) return;
    // its idle service state stays until its object took it (setupOf, then confirmed)
    this.live.add(number);
    this.ctx.storage.sql.exec("UPDATE dns SET live = 1 WHERE number = ?", number);
  }

  listDnNumbers(): string[] {
    return [...this.dns].sort();
  }

  // ---- calls that carry user data (their Call object exists) ----

  /** A call's first user data: remembers that the call has data and names the site's DNs it reached. */
  openCallData(callId: string, connID: string): string[] {
    if (!this.dataCalls.has(connID)) {
      this.dataCalls.add(connID);
      this.ctx.storage.sql.exec("INSERT OR IGNORE INTO data_calls (conn_id) VALUES (?)", connID);
    }
    return [...(this.callParties.get(callId) ?? [])];
  }

  /** The call's Call object is gone (no party left). */
  closeCallData(connID: string): void {
    if (this.dataCalls.delete(connID)) this.ctx.storage.sql.exec("DELETE FROM data_calls WHERE conn_id = ?", connID);
  }

  private trackParty(ev: SwitchEvent): void {
    if (!("callId" in ev) || !("dn" in ev) || !this.dns.has(ev.dn)) return;
    if (ev.kind === "partyChanged" && ev.previousCallId && ev.previousCallId !== ev.callId) this.leaveParty(ev.previousCallId, ev.dn);
    if (ev.kind === "released") return this.leaveParty(ev.callId, ev.dn);
    if (ev.kind === "result") return;
    let parties = this.callParties.get(ev.callId);
    if (!parties) this.callParties.set(ev.callId, (parties = new Set()));
    parties.add(ev.dn);
  }

  private leaveParty(callId: string, dn: string): void {
    const parties = this.callParties.get(callId);
    if (parties?.delete(dn) && parties.size === 0) this.callParties.delete(callId);
  }

  // ---- link agents ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    const server = pair[1];
    this.ctx.acceptWebSocket(server, ["agent"]);
    const att: AgentAttachment = { keyId: request.headers.get("x-key-id") ?? "", links: {}, connectedAt: Date.now() };
    server.serializeAttachment(att);
    await this.armKeepaliveCheck();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") return this.refuse(ws, "binary messages are not part of the uplink protocol");
    let parsed: AgentToSite | SalvagedEvents;
    try {
      const raw: unknown = JSON.parse(message);
      const result = AgentToSite.safeParse(raw);
      if (result.success) parsed = result.data;
      else {
        // a batch with events this control plane cannot read: its other events are applied and the
        // unreadable ones dropped loudly (a resync repairs the DNs); refusing it would make the agent resend it forever
        const salvaged = salvageBatch(raw);
        if (!salvaged) return this.refuse(ws, `invalid uplink message: ${result.error.issues[0]?.path.join(".")}: ${result.error.issues[0]?.message}`);
        parsed = salvaged;
      }
    } catch {
      return this.refuse(ws, "uplink message is not JSON");
    }
    const att = ws.deserializeAttachment() as AgentAttachment & { active?: boolean };
    att.connectedAt = Date.now();
    if (parsed.t === "hello") return this.onHello(ws, att, parsed);
    if (!att.agentId) return this.refuse(ws, "send hello first");
    ws.serializeAttachment(att);
    // batches that arrive while earlier ones are applied wait in the inbox and are applied together:
    // under load, one round of Dn and Session calls per drain instead of one per batch (issue 13)
    const waiting = this.inbox.get(ws);
    if (waiting) {
      waiting.push(parsed);
      return;
    }
    this.inbox.set(ws, [parsed]);
    return this.serial(async () => {
      const batches = this.inbox.get(ws) ?? [];
      this.inbox.delete(ws);
      for (const batch of coalesce(batches, MAX_COALESCED_EVENTS)) await this.onEvents(ws, batch);
    });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try { ws.close(code === 1005 ? 1000 : code, reason); } catch { /* already closed */ }
    await this.agentGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.agentGone(ws);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets("agent")) {
      const att = ws.deserializeAttachment() as AgentAttachment;
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      // while the Site itself is working through a backlog, the agent waits for acks: that is no silence
      if (this.working === 0 && now - Math.max(pinged, att.connectedAt) > AGENT_SILENCE_MS) {
        log.warn("link agent silent: closing its socket", { site: this.site, agentId: att.agentId });
        try { ws.close(4408, "no keepalive"); } catch { /* gone */ }
        await this.agentGone(ws);
      }
    }
    if (this.linkUp && this.agentSockets().length === 0) {
      log.warn("no link agent connected although the link was up (its socket vanished): link down", { site: this.site });
      this.activeAgent = null;
      await this.serial(() => this.setLinkUp(false, new Date().toISOString()));
    }
    await this.armKeepaliveCheck();
  }

  private async armKeepaliveCheck(): Promise<void> {
    if (this.ctx.getWebSockets("agent").length > 0 && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + KEEPALIVE_CHECK_MS);
    }
  }

  private send(ws: WebSocket, message: SiteToAgent): void {
    try { ws.send(JSON.stringify(message)); } catch (err) { log.warn("could not send to link agent", { error: String(err) }); }
  }

  private refuse(ws: WebSocket, message: string): void {
    log.warn("uplink message refused", { site: this.site, message });
    this.send(ws, { t: "error", message });
  }

  private agentSockets(): Array<{ ws: WebSocket; att: AgentAttachment & { active?: boolean } }> {
    return this.ctx.getWebSockets("agent")
      .map((ws) => ({ ws, att: ws.deserializeAttachment() as AgentAttachment & { active?: boolean } }))
      .filter((a) => a.att.agentId && a.ws.readyState === WebSocket.OPEN);
  }

  private activeSocket(): { ws: WebSocket; att: AgentAttachment } | undefined {
    return this.agentSockets().find((a) => a.att.agentId === this.activeAgent);
  }

  private onHello(ws: WebSocket, att: AgentAttachment & { active?: boolean }, hello: AgentHello): void {
    if (hello.protocol !== UPLINK_PROTOCOL) {
      this.send(ws, { t: "error", message: `uplink protocol ${hello.protocol} is not supported; this control plane speaks ${UPLINK_PROTOCOL}` });
      ws.close(4400, "protocol version");
      return;
    }
    // a second connection of the same agent replaces the first
    for (const other of this.agentSockets()) {
      if (other.ws !== ws && other.att.agentId === hello.agentId) {
        try { other.ws.close(4409, "replaced by a newer connection of the same agent"); } catch { /* gone */ }
        other.att.agentId = undefined;
        other.ws.serializeAttachment(other.att);
      }
    }
    const row = this.ctx.storage.sql.exec<{ stream: string; last_applied: number }>("SELECT stream, last_applied FROM streams WHERE agent_id = ?", hello.agentId).toArray()[0];
    let resumeAfter = 0;
    if (row && row.stream === hello.stream) resumeAfter = row.last_applied;
    else this.ctx.storage.sql.exec("INSERT OR REPLACE INTO streams (agent_id, stream, last_applied) VALUES (?, ?, 0)", hello.agentId, hello.stream);

    att.agentId = hello.agentId;
    att.stream = hello.stream;
    att.role = hello.role;
    att.links = Object.fromEntries(hello.links.map((l) => [l.name, l.up]));
    const current = this.activeSocket();
    const active = !current || current.att.agentId === hello.agentId;
    att.active = active;
    ws.serializeAttachment(att);
    this.send(ws, { t: "welcome", protocol: UPLINK_PROTOCOL, site: this.site, active, resumeAfter, options: this.linkOptions() });
    log.info("link agent connected", { site: this.site, agentId: hello.agentId, role: hello.role, active, resumeAfter });
    if (active) {
      const previous = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'activeStream'").toArray()[0]?.v;
      // commands sent to another agent, or to an earlier run of this one, died with it: their requests fail now (54), not at their timeout
      if (previous !== `${hello.agentId}/${hello.stream}`) this.commandsLost(`the link agent was replaced (${hello.agentId} connected with a new stream)`);
      this.activeAgent = hello.agentId;
      this.setMeta("active", hello.agentId);
      this.setMeta("activeStream", `${hello.agentId}/${hello.stream}`);
      void this.serial(() => this.setLinkUp(this.anyLinkUp(att.links), new Date().toISOString()));
      // whatever the switch did while this agent was away (or the uplink down) converges through fresh snapshots
      this.send(ws, { t: "resync" });
    }
  }

  private anyLinkUp(links: Record<string, boolean>): boolean {
    return Object.values(links).some(Boolean);
  }

  private async agentGone(ws: WebSocket): Promise<void> {
    const att = ws.deserializeAttachment() as (AgentAttachment & { active?: boolean }) | null;
    if (!att?.agentId || att.agentId !== this.activeAgent) return;
    log.warn("active link agent disconnected", { site: this.site, agentId: att.agentId });
    const next = this.agentSockets().find((a) => a.ws !== ws && a.att.agentId !== att.agentId);
    this.activeAgent = next?.att.agentId ?? null;
    this.setMeta("active", this.activeAgent ?? "");
    this.commandsLost(`the active link agent ${att.agentId} disconnected before the switch answered`);
    if (next) {
      next.att.active = true;
      next.ws.serializeAttachment(next.att);
      this.setMeta("activeStream", `${next.att.agentId}/${next.att.stream}`);
      this.send(next.ws, { t: "role", active: true });
      this.send(next.ws, { t: "resync" });
      log.info("link agent took over", { site: this.site, agentId: next.att.agentId });
    }
    await this.serial(() => this.setLinkUp(next ? this.anyLinkUp(next.att.links) : false, new Date().toISOString()));
  }

  /** Runs event work one batch at a time, in arrival order: awaiting other objects would otherwise interleave batches. */
  private serial(work: () => Promise<void>): Promise<void> {
    this.working++;
    const run = this.queue.then(work).finally(() => this.working--).catch((err) => log.error("site event work failed", { site: this.site, error: String(err), stack: (err as Error)?.stack }));
    this.queue = run;
    return run;
  }

  private async onEvents(ws: WebSocket, batch: SalvagedEvents): Promise<void> {
    const att = ws.deserializeAttachment() as AgentAttachment & { active?: boolean };
    if (!att.agentId || ws.readyState !== WebSocket.OPEN) return;
    const row = this.ctx.storage.sql.exec<{ last_applied: number }>("SELECT last_applied FROM streams WHERE agent_id = ?", att.agentId).toArray()[0];
    const last = row?.last_applied ?? 0;
    if (batch.from > last + 1) {
      this.send(ws, { t: "error", message: `sequence gap: expected ${last + 1}, got ${batch.from}` });
      ws.close(4409, "sequence gap");
      return;
    }
    const skip = last + 1 - batch.from;
    const fresh = batch.events.slice(skip).map((ev, i) => ({ seq: last + 1 + i, ev }));
    const upTo = batch.from + batch.events.length - 1;
    if (fresh.length > 0) {
      const unreadable = fresh.filter((f) => f.ev === null).map((f) => f.seq);
      if (unreadable.length > 0) {
        log.error("uplink events this control plane cannot read were dropped; asking for a resync", { site: this.site, agentId: att.agentId, seqs: unreadable.slice(0, 20), count: unreadable.length });
      }
      const readable = fresh.filter((f): f is { seq: number; ev: SwitchEvent } => f.ev !== null);
      for (const { ev } of readable) if (ev.kind === "link") att.links[ev.link] = ev.up;
      ws.serializeAttachment(att);
      if (att.agentId === this.activeAgent && readable.length > 0) {
        const stream = `${att.agentId}/${att.stream}`;
        const attempt = this.applyAttempt(stream, fresh[0]!.seq);
        // a batch that keeps failing would be resent forever: its last attempt applies what it can and resyncs
        const lenient = attempt >= MAX_APPLY_ATTEMPTS;
        let work!: Promise<void>;
        this.current = work = this.apply(readable, att, stream, lenient);
        try {
          await work;
        } catch (err) {
          // not acknowledged: the agent resends it after reconnecting, and Dn and Session skip what they already took
          log.error("could not apply a batch of switch events: not acknowledged, the agent resends it", { site: this.site, agentId: att.agentId, from: fresh[0]!.seq, attempt, error: String(err) });
          this.send(ws, { t: "error", message: `could not apply events from ${fresh[0]!.seq} (attempt ${attempt} of ${MAX_APPLY_ATTEMPTS}): resend them` });
          try { ws.close(1011, "events not applied: resend"); } catch { /* gone */ }
          return;
        }
        if (lenient) {
          log.error("a batch failed repeatedly: applied without its failing parts; asking for a resync", { site: this.site, agentId: att.agentId, from: fresh[0]!.seq });
          this.send(ws, { t: "resync" });
        }
        this.ctx.storage.sql.exec("DELETE FROM meta WHERE k = 'applyAttempt'");
      }
      this.ctx.storage.sql.exec("UPDATE streams SET last_applied = ? WHERE agent_id = ?", upTo, att.agentId);
      if (unreadable.length > 0 && att.agentId === this.activeAgent) this.send(ws, { t: "resync" });
    }
    // acknowledged only once applied: a crash before this line makes the agent resend the batch
    this.send(ws, { t: "ack", upTo: Math.max(upTo, last) });
  }

  /** Counts attempts at the batch starting at `seq` of `stream` (kept in storage: a crash counts too). */
  private applyAttempt(stream: string, seq: number): number {
    const key = `${stream}#${seq}`;
    const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'applyAttempt'").toArray()[0];
    const prev = row ? (JSON.parse(row.v) as { key: string; n: number }) : null;
    const n = prev?.key === key ? prev.n + 1 : 1;
    this.setMeta("applyAttempt", JSON.stringify({ key, n }));
    return n;
  }

  /** Request-path events (answers, user data, emulated agent events, errors) of a Dn: after the batch being applied, so they never overtake its switch events. */
  async relay(sessionId: string, events: TEvent[]): Promise<void> {
    await this.current.catch(() => undefined);
    await sessionStub(this.env, this.tenant, sessionId).deliver(events);
  }

  /** The commands in flight died with the active agent: their requests fail now with 54. */
  private commandsLost(reason: string): void {
    const dns = [...this.commandDns];
    this.commandDns.clear();
    for (const dn of dns) {
      this.ctx.waitUntil(dnStub(this.env, this.tenant, this.site, dn).commandsLost(reason)
        .catch((err) => log.warn("a Dn did not hear that its commands were lost", { site: this.site, dn, error: String(err) })));
    }
  }

  private async setLinkUp(up: boolean, time: string): Promise<void> {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.setMeta("linkUp", String(up));
    this.snapshotPending = up;
    if (!up) {
      this.callParties.clear();
      this.forgetIdleService();
    }
    log.info(up ? "site link up" : "site link down", { site: this.site });
    // idle DNs have no object: they take the site's link state when they start
    const perDn = new Map<string, DnInput[]>();
    for (const dn of this.live) perDn.set(dn, [{ idx: 0, kind: "link", up, time }]);
    // not from a stream, so nothing resends it: a Dn that failed is logged and set right by the next snapshot
    await this.dispatch(perDn, undefined, true);
  }

  /** Hands a batch of switch events to the Dn objects they concern, then their T-Library events to sessions. */
  private async apply(batch: Array<{ seq: number; ev: SwitchEvent }>, att: AgentAttachment, stream: string, lenient: boolean): Promise<void> {
    const perDn = new Map<string, DnInput[]>();
    const push = (dn: string, input: DnInput) => {
      if (!this.dns.has(dn)) return; // the switch may serve DNs that are not configured here
      const list = perDn.get(dn);
      if (list) list.push(input);
      else perDn.set(dn, [input]);
    };
    const connIDs = new Map<string, string>();
    const connID = async (callId: string) => {
      let id = connIDs.get(callId);
      if (!id) connIDs.set(callId, (id = await connIdFor(this.tenant, this.site, callId)));
      return id;
    };
    // idx is the event's sequence number: it orders deliveries and lets Dn and Session skip what they already took
    for (const { seq: idx, ev } of batch) {
      if (ev.kind === "link") {
        const up = this.anyLinkUp(att.links);
        if (up !== this.linkUp) {
          this.linkUp = up;
          this.setMeta("linkUp", String(up));
          this.snapshotPending = up;
          if (!up) {
            this.callParties.clear();
            this.forgetIdleService();
          }
          log.info(up ? "site link up" : "site link down", { site: this.site, link: ev.link, reason: ev.reason });
          for (const dn of this.live) push(dn, { idx, kind: "link", up, time: ev.time });
        }
      } else if (ev.kind === "snapshot") {
        this.idleServiceKnown = true;
        this.snapshotPending = false;
        for (const entry of ev.dns) {
          if (!this.dns.has(entry.dn)) continue;
          // a remote terminal always has its object: its service state is also extend-and-connect's (F3), which only the Dn knows
          if (!this.live.has(entry.dn) && entry.calls.length === 0 && entry.kind !== "remoteTerminal") {
            // an idle DN: its service state stays here, no object, no RPC (a 40,000-DN first sync)
            this.setIdleService(entry.dn, entry.inService);
            this.idleKind.set(entry.dn, entry.kind);
            continue;
          }
          this.makeLive(entry.dn);
          const ids: Record<string, string> = {};
          const withData: string[] = [];
          for (const c of entry.calls) {
            const id = (ids[c.callId] = await connID(c.callId));
            if (this.dataCalls.has(id)) withData.push(id);
            let parties = this.callParties.get(c.callId);
            if (!parties) this.callParties.set(c.callId, (parties = new Set()));
            parties.add(entry.dn);
          }
          push(entry.dn, { idx, kind: "snapshot", time: ev.time, entry, connIDs: ids, ...(withData.length ? { dataConnIDs: withData } : {}) });
        }
      } else {
        const callId = "callId" in ev ? ev.callId : undefined;
        const previous = ev.kind === "partyChanged" ? ev.previousCallId : undefined;
        if (!this.dns.has(ev.dn)) continue;
        if (ev.kind === "service" && !this.live.has(ev.dn)) {
          this.setIdleService(ev.dn, ev.inService);
          continue;
        }
        this.makeLive(ev.dn);
        const id = callId ? await connID(callId) : undefined;
        this.trackParty(ev);
        push(ev.dn, { idx, kind: "switch", ev, ...(id ? { connID: id } : {}), ...(previous ? { previousConnID: await connID(previous) } : {}), ...(id && this.dataCalls.has(id) ? { callData: true as const } : {}) });
      }
    }
    await this.dispatch(perDn, stream, lenient);
  }

  /** Throws when a Dn or Session call failed (unless lenient): the batch is then not acknowledged. */
  private async dispatch(perDn: Map<string, DnInput[]>, stream?: string, lenient = false): Promise<void> {
    // per DN in the order the batch named them: events of one sequence number (a snapshot's DNs) reach
    // a session in the switch's order, not in the order the Dn objects happened to answer
    const perDnDeliveries: Delivery[][] = [];
    const failures: string[] = [];
    await inChunks([...perDn].map((entry, i) => [entry, i] as const), FAN_OUT, async ([[dn, inputs], i]) => {
      try {
        const setup = this.confirmed.has(dn) ? undefined : this.setupOf(dn) ?? undefined;
        perDnDeliveries[i] = await dnStub(this.env, this.tenant, this.site, dn).applySwitch(inputs, stream, setup);
        this.confirmed.add(dn);
        if (this.idleService.delete(dn)) this.ctx.storage.sql.exec("DELETE FROM idle_oos WHERE number = ?", dn);
      } catch (err) {
        log.error("a Dn failed to apply switch events", { site: this.site, dn, error: String(err) });
        failures.push(`Dn ${dn}: ${String(err)}`);
      }
    });
    const deliveries = perDnDeliveries.flatMap((d) => d ?? []);
    failures.push(...(await this.deliver(deliveries, stream)));
    if (failures.length > 0 && !lenient) throw new Error(`${failures.length} object(s) failed: ${failures.slice(0, 3).join("; ")}`);
  }

  /** Each session gets its events in stream order; a link event reaches a session once, not once per DN. */
  private async deliver(deliveries: Delivery[], stream?: string): Promise<string[]> {
    if (deliveries.length === 0) return [];
    deliveries.sort((a, b) => a.idx - b.idx);
    const perSession = new Map<string, { events: TEvent[]; seqs: number[] }>();
    const linkSeen = new Set<string>();
    for (const d of deliveries) {
      if (d.event.event === "EventLinkConnected" || d.event.event === "EventLinkDisconnected") {
        const key = `${d.sessionId}:${d.idx}`;
        if (linkSeen.has(key)) continue;
        linkSeen.add(key);
      }
      let list = perSession.get(d.sessionId);
      if (!list) perSession.set(d.sessionId, (list = { events: [], seqs: [] }));
      list.events.push(d.event);
      list.seqs.push(d.idx);
    }
    const failures: string[] = [];
    await inChunks([...perSession], FAN_OUT, async ([sessionId, { events, seqs }]) => {
      try {
        await sessionStub(this.env, this.tenant, sessionId).deliver(events, stream ? { stream: `${this.site}/${stream}`, seqs } : undefined);
      } catch (err) {
        log.error("could not deliver events to a session", { site: this.site, sessionId, error: String(err) });
        failures.push(`Session ${sessionId}: ${String(err)}`);
      }
    });
    return failures;
  }

  /** A link key was revoked: the agents that connected with it are cut at once. */
  async keyRevoked(keyId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets("agent")) {
      const att = ws.deserializeAttachment() as AgentAttachment | null;
      if (att?.keyId !== keyId) continue;
      log.warn("link key revoked: closing its agent's socket", { site: this.site, agentId: att.agentId });
      try { ws.close(4401, "key revoked"); } catch { /* gone */ }
      await this.agentGone(ws);
    }
  }

  // ---- commands down to the switch (called by Dn objects) ----

  sendCommand(command: SiteCommand): SendResult {
    const active = this.activeSocket();
    if (!active || !this.linkUp) return { ok: false, errorCode: ErrorCode.NoSwitchLink, errorMessage: `no link to the switch of site ${this.site}` };
    this.commandDns.add(command.dn);
    this.send(active.ws, command);
    return { ok: true, timeoutMs: Number(this.option("TServer", "request-timeout")) * 1000 };
  }

  private scheduleResync(): void {
    if (this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      const active = this.activeSocket();
      if (active) this.send(active.ws, { t: "resync" });
    }, 250);
  }

  status(): { linkUp: boolean; activeAgent: string | null; agents: Array<{ agentId: string; role: string; active: boolean; links: Record<string, boolean> }> } {
    return {
      linkUp: this.linkUp,
      activeAgent: this.activeAgent,
      agents: this.agentSockets().map(({ att }) => ({ agentId: att.agentId!, role: att.role ?? "primary", active: att.agentId === this.activeAgent, links: att.links })),
    };
  }
}

type SalvagedEvents = Omit<AgentEvents, "events"> & { events: Array<SwitchEvent | null> };

/** An events batch whose envelope is sound: its unreadable events become null (their sequence numbers are kept). */
function salvageBatch(raw: unknown): SalvagedEvents | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as { t?: unknown; from?: unknown; events?: unknown };
  if (r.t !== "events" || typeof r.from !== "number" || !Number.isInteger(r.from) || r.from < 1 || !Array.isArray(r.events) || r.events.length === 0) return null;
  return { t: "events", from: r.from, events: r.events.map((e) => { const p = SwitchEvent.safeParse(e); return p.success ? p.data : null; }) };
}

/** Joins consecutive batches (each starting where the previous ended) into batches of at most `max` events; a resend or a gap starts a new one. */
export function coalesce(batches: SalvagedEvents[], max: number): SalvagedEvents[] {
  const out: SalvagedEvents[] = [];
  for (const b of batches) {
    const last = out.at(-1);
    // `out` holds copies: joining appends to a copy, never to a batch the caller gave
    if (last && b.from === last.from + last.events.length && last.events.length + b.events.length <= max) last.events.push(...b.events);
    else out.push({ ...b, events: [...b.events] });
  }
  return out;
}

async function inChunks<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}
