// Tenant: one per tenant. Owns the tenant's existence, its site names and its keys (stored hashed).
import { DurableObject } from "cloudflare:workers";
import { type Env, sessionStub, siteStub } from "../env.js";
import { log } from "../log.js";
import { randomHex, randomToken, sha256Hex, timingSafeEqual } from "../crypto.js";

export type KeyRole = "client" | "config" | "link";
export interface KeyGrant {
  keyId: string;
  role: KeyRole;
  /** The one site a `link` key serves; null for client and config keys. */
  site: string | null;
}

export class Tenant extends DurableObject<Env> {
  /** Tables exist only once the tenant was created: a key naming an unknown tenant leaves no storage behind. */
  private created = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.created = ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
      if (this.created) this.createTables();
    });
  }

  private createTables(): void {
    this.ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sites (name TEXT PRIMARY KEY, created TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS keys (
        id TEXT PRIMARY KEY, role TEXT NOT NULL, site TEXT, hash TEXT NOT NULL, created TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, key_id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions (key_id);
    `);
    this.created = true;
  }

  private get name(): string | null {
    if (!this.created) return null;
    const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'name'").toArray()[0];
    return row?.v ?? null;
  }

  /** Creates the tenant if it does not exist. Returns true when it was created now. */
  ensure(name: string): boolean {
    if (this.name) return false;
    this.createTables();
    this.ctx.storage.sql.exec("INSERT INTO meta (k, v) VALUES ('name', ?)", name);
    return true;
  }

  exists(): boolean {
    return this.name !== null;
  }

  addSite(site: string): boolean {
    if (!this.name) throw new Error("tenant does not exist");
    const had = this.hasSite(site);
    if (!had) this.ctx.storage.sql.exec("INSERT INTO sites (name, created) VALUES (?, ?)", site, new Date().toISOString());
    return !had;
  }

  hasSite(site: string): boolean {
    if (!this.created) return false;
    return this.ctx.storage.sql.exec("SELECT 1 FROM sites WHERE name = ?", site).toArray().length > 0;
  }

  listSites(): string[] {
    if (!this.created) return [];
    return this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sites ORDER BY name").toArray().map((r) => r.name);
  }

  /** Issues a key. The secret is returned once and only its hash is kept. */
  async createKey(role: KeyRole, site: string | null): Promise<{ id: string; key: string }> {
    const tenant = this.name;
    if (!tenant) throw new Error("tenant does not exist");
    const id = randomHex(8);
    const secret = randomToken(32);
    this.ctx.storage.sql.exec(
      "INSERT INTO keys (id, role, site, hash, created) VALUES (?, ?, ?, ?, ?)",
      id, role, site, await sha256Hex(secret), new Date().toISOString(),
    );
    return { id, key: `${tenant}.${id}.${secret}` };
  }

  /** Revokes a key, and cuts what it opened: its sessions end, its link agents' sockets close. */
  async revokeKey(id: string): Promise<boolean> {
    if (!this.created) return false;
    const row = this.ctx.storage.sql.exec<{ role: KeyRole; site: string | null }>("SELECT role, site FROM keys WHERE id = ?", id).toArray()[0];
    if (!row) return false;
    this.ctx.storage.sql.exec("DELETE FROM keys WHERE id = ?", id);
    const tenant = this.name!;
    const sessions = this.ctx.storage.sql.exec<{ id: string }>("SELECT id FROM sessions WHERE key_id = ?", id).toArray().map((r) => r.id);
    this.ctx.storage.sql.exec("DELETE FROM sessions WHERE key_id = ?", id);
    await Promise.all([
      ...sessions.map((s) => sessionStub(this.env, tenant, s).end("its key was revoked")
        .catch((err) => log.warn("could not end a session of a revoked key", { tenant, sessionId: s, error: String(err) }))),
      ...(row.role === "link" && row.site ? [row.site] : []).map((site) => siteStub(this.env, tenant, site).keyRevoked(id)
        .catch((err) => log.warn("could not cut the link agents of a revoked key", { tenant, site, error: String(err) }))),
    ]);
    return true;
  }

  /** The sessions each key opened, so that revoking the key ends them. */
  sessionOpened(sessionId: string, keyId: string): void {
    if (!this.created) throw new Error("tenant does not exist");
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO sessions (id, key_id) VALUES (?, ?)", sessionId, keyId);
  }

  sessionClosed(sessionId: string): void {
    if (this.created) this.ctx.storage.sql.exec("DELETE FROM sessions WHERE id = ?", sessionId);
  }

  listKeys(): Array<{ id: string; role: string; site: string | null; created: string }> {
    if (!this.created) return [];
    return this.ctx.storage.sql
      .exec<{ id: string; role: string; site: string | null; created: string }>("SELECT id, role, site, created FROM keys ORDER BY created")
      .toArray();
  }

  /** Checks a key's secret; with `site`, also that the site is the tenant's (and the link key's own site). */
  async authenticate(keyId: string, secret: string, site?: string): Promise<KeyGrant | null> {
    if (!this.created) return null;
    const row = this.ctx.storage.sql
      .exec<{ role: KeyRole; site: string | null; hash: string }>("SELECT role, site, hash FROM keys WHERE id = ?", keyId)
      .toArray()[0];
    if (!row || !timingSafeEqual(row.hash, await sha256Hex(secret))) return null;
    if (site !== undefined) {
      if (!this.hasSite(site)) return null;
      if (row.role === "link" && row.site !== site) return null;
    }
    return { keyId, role: row.role, site: row.site };
  }
}
