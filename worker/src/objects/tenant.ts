// Tenant: one per tenant. Owns the tenant's existence, its site names and its keys (stored hashed).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { randomHex, randomToken, sha256Hex } from "../crypto.js";

export type KeyRole = "client" | "config" | "link";
export interface KeyGrant {
  keyId: string;
  role: KeyRole;
  /** The one site a `link` key serves; null for client and config keys. */
  site: string | null;
}

export class Tenant extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`
        CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sites (name TEXT PRIMARY KEY, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS keys (
          id TEXT PRIMARY KEY, role TEXT NOT NULL, site TEXT, hash TEXT NOT NULL, created TEXT NOT NULL);
      `);
    });
  }

  private get name(): string | null {
    const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'name'").toArray()[0];
    return row?.v ?? null;
  }

  /** Creates the tenant if it does not exist. Returns true when it was created now. */
  ensure(name: string): boolean {
    if (this.name) return false;
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
    return this.ctx.storage.sql.exec("SELECT 1 FROM sites WHERE name = ?", site).toArray().length > 0;
  }

  listSites(): string[] {
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

  revokeKey(id: string): boolean {
    return this.ctx.storage.sql.exec("DELETE FROM keys WHERE id = ?", id).rowsWritten > 0;
  }

  listKeys(): Array<{ id: string; role: string; site: string | null; created: string }> {
    return this.ctx.storage.sql
      .exec<{ id: string; role: string; site: string | null; created: string }>("SELECT id, role, site, created FROM keys ORDER BY created")
      .toArray();
  }

  /** Checks a key's secret; with `site`, also that the site is the tenant's (and the link key's own site). */
  async authenticate(keyId: string, secret: string, site?: string): Promise<KeyGrant | null> {
    const row = this.ctx.storage.sql
      .exec<{ role: KeyRole; site: string | null; hash: string }>("SELECT role, site, hash FROM keys WHERE id = ?", keyId)
      .toArray()[0];
    if (!row || row.hash !== (await sha256Hex(secret))) return null;
    if (site !== undefined) {
      if (!this.hasSite(site)) return null;
      if (row.role === "link" && row.site !== site) return null;
    }
    return { keyId, role: row.role, site: row.site };
  }
}
