// A short-lived, per-isolate memory of keys the Tenant object accepted, so that a busy client does not
// send every request through its tenant's one object (issue 13). Only acceptances are kept, under the
// key's hash; a revocation through this isolate forgets the key at once, and every other isolate
// stops honouring it within GRANT_TTL_MS (docs/client-api.md, keys).
import type { KeyGrant } from "./objects/tenant.js";
import { sha256Hex } from "./crypto.js";

export const GRANT_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

const grants = new Map<string, { grant: KeyGrant; tenant: string; expires: number }>();

async function slot(key: string, site: string | undefined): Promise<string> {
  return `${await sha256Hex(key)}|${site ?? ""}`;
}

export async function cachedGrant(key: string, site: string | undefined, now = Date.now()): Promise<KeyGrant | null> {
  const id = await slot(key, site);
  const hit = grants.get(id);
  if (!hit) return null;
  if (hit.expires <= now) {
    grants.delete(id);
    return null;
  }
  return hit.grant;
}

export async function rememberGrant(key: string, site: string | undefined, tenant: string, grant: KeyGrant, now = Date.now()): Promise<void> {
  if (grants.size >= MAX_ENTRIES) grants.delete(grants.keys().next().value!);
  grants.set(await slot(key, site), { grant, tenant, expires: now + GRANT_TTL_MS });
}

/** A key was revoked (or its tenant changed): this isolate forgets it now. */
export function forgetKey(tenant: string, keyId: string): void {
  for (const [id, entry] of grants) if (entry.tenant === tenant && entry.grant.keyId === keyId) grants.delete(id);
}
