// Call: one per tenant + site + connID. The one owner of a call's user data (T-Library's attached
// data), and of the list of this site's DNs that are parties of the call, so that every party hears
// of a change. It exists only for calls that carry user data (created by the first attach) and lives
// as long as such a call has a party here: most calls never have one (issue 13: a database created
// and deleted per call was a third of the control plane's time).
import { DurableObject } from "cloudflare:workers";
import { type Env, dnStub, siteStub } from "../env.js";
import { log } from "../log.js";
import { ErrorCode } from "../../../shared/tlib.js";

/** Largest user data of one call, as JSON (docs/client-api.md). */
export const MAX_USER_DATA_BYTES = 16 * 1024;

export type UserData = Record<string, string | number | boolean | null>;
export type UserDataChange = "attach" | "update" | "delete";

export interface CallIdentity {
  tenant: string;
  site: string;
  connID: string;
}

export class Call extends DurableObject<Env> {
  private identity: CallIdentity | null = null;
  private userData: UserData = {};
  private parties = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // a call without data has no storage: asking about it (left, say) must not create any
      if (ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'state'").toArray().length === 0) return;
      for (const r of ctx.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM state")) {
        if (r.k === "identity") this.identity = JSON.parse(r.v) as CallIdentity;
        if (r.k === "userData") this.userData = JSON.parse(r.v) as UserData;
        if (r.k === "parties") this.parties = new Set(JSON.parse(r.v) as string[]);
      }
    });
  }

  private save(): void {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    const put = (k: string, v: unknown) => this.ctx.storage.sql.exec("INSERT OR REPLACE INTO state (k, v) VALUES (?, ?)", k, JSON.stringify(v));
    put("identity", this.identity);
    put("userData", this.userData);
    put("parties", [...this.parties]);
  }

  /** A DN of this site became a party of the call; it gets the call's user data so far. */
  joined(identity: CallIdentity, dn: string): UserData {
    this.identity = identity;
    this.parties.add(dn);
    this.save();
    return this.userData;
  }

  /** A DN is no longer a party; with none left, the call is over here and its data goes. */
  async left(dn: string): Promise<void> {
    if (!this.parties.delete(dn)) return;
    if (this.parties.size > 0) return this.save();
    await this.forget();
  }

  private async forget(): Promise<void> {
    const identity = this.identity;
    this.identity = null;
    this.userData = {};
    await this.ctx.storage.deleteAll();
    if (identity) await siteStub(this.env, identity.tenant, identity.site).closeCallData(identity.connID);
  }

  /**
   * Attach or update (add keys, replace values of existing ones) or delete keys (all when none given).
   * `parties`: the site's DNs the call reached (from the Site), for the change that creates this object.
   */
  change(identity: CallIdentity, kind: UserDataChange, data: UserData, byDn: string, parties: string[] = []): { userData: UserData } | { code: number; message: string } {
    let next: UserData;
    if (kind === "delete") {
      const keys = Object.keys(data);
      next = keys.length === 0 ? {} : Object.fromEntries(Object.entries(this.userData).filter(([k]) => !keys.includes(k)));
    } else {
      next = { ...this.userData, ...data };
    }
    // every event of the call carries its user data: it stays small enough to copy (and to store)
    const bytes = new TextEncoder().encode(JSON.stringify(next)).length;
    if (bytes > MAX_USER_DATA_BYTES) {
      return { code: ErrorCode.InvalidAttribute, message: `the call's user data would be ${bytes} bytes; the limit is ${MAX_USER_DATA_BYTES} (413): delete keys first` };
    }
    // the requesting Dn has the call: it is a party even if its "joined" is still on its way
    this.identity = identity;
    this.parties.add(byDn);
    for (const dn of parties) this.parties.add(dn);
    this.userData = next;
    this.save();
    const { tenant, site, connID } = identity;
    // the other parties hear of it; the requesting DN answers its own sessions
    for (const dn of this.parties) {
      if (dn === byDn) continue;
      this.ctx.waitUntil(dnStub(this.env, tenant, site, dn).userDataChanged(connID, this.userData, byDn)
        .then(async (party) => {
          // a DN the call already left is no party: it would keep this object alive forever
          if (party || !this.parties.delete(dn)) return;
          if (this.parties.size > 0) this.save();
          else await this.forget();
        })
        .catch((err) => log.warn("a party did not hear of a user data change", { site, dn, connID, error: String(err) })));
    }
    return { userData: this.userData };
  }
}
