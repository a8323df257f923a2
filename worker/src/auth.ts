// Who is calling: the ops admin token, or a tenant key `<tenant>.<keyId>.<secret>` checked by its Tenant.
import type { Context, MiddlewareHandler } from "hono";
import { type Env, tenantStub } from "./env.js";
import { timingSafeEqual } from "./crypto.js";
import type { KeyGrant, KeyRole } from "./objects/tenant.js";

export interface Caller extends KeyGrant {
  tenant: string;
}
export type AppEnv = { Bindings: Env; Variables: { caller: Caller } };

function bearer(c: Context): string | null {
  const header = c.req.header("authorization");
  // the scheme is case-insensitive (RFC 9110 11.1): bearer, Bearer and BEARER are one
  const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1]!;
  // browsers cannot set headers on a WebSocket: the console offers the key as a subprotocol
  // "bearer.<key>" next to "tserver" (kept out of URLs, and so out of access logs and history)
  const offered = c.req.header("upgrade")?.toLowerCase() !== "websocket" ? undefined : c.req.header("sec-websocket-protocol")?.split(",").map((p) => p.trim()).find((p) => p.startsWith("bearer."));
  if (offered) return offered.slice(7);
  // browsers cannot set headers on a WebSocket: they pass the key in the query
  return c.req.query("access_token") ?? null;
}

const problem = (c: Context, status: 401 | 403 | 404 | 503, message: string) => c.json({ error: message }, status);

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) return problem(c, 503, "ADMIN_TOKEN is not configured on this deployment");
  const given = bearer(c);
  if (!given || !timingSafeEqual(given, expected)) return problem(c, 401, "a valid admin token is required");
  await next();
};

/** Accepts a tenant key of one of the roles; with a :site in the path, the site must be the tenant's. */
export function requireKey(...roles: KeyRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c);
    const parts = key?.split(".");
    if (!parts || parts.length !== 3 || parts.some((p) => p.length === 0)) return problem(c, 401, "a tenant key is required: Authorization: Bearer <key>");
    const [tenant, keyId, secret] = parts as [string, string, string];
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(tenant)) return problem(c, 401, "malformed key");
    const site = c.req.param("site");
    const grant = await tenantStub(c.env, tenant).authenticate(keyId, secret, site);
    if (!grant) {
      // a key that is fine but names a site of nobody it knows is told "not found", so names do not leak
      const valid = site !== undefined && (await tenantStub(c.env, tenant).authenticate(keyId, secret));
      return valid ? problem(c, 404, `no site "${site}"`) : problem(c, 401, "unknown or revoked key");
    }
    if (!roles.includes(grant.role)) return problem(c, 403, `this needs a key of role ${roles.join(" or ")}; this key's role is ${grant.role}`);
    c.set("caller", { ...grant, tenant });
    await next();
  };
}
