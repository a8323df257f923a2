// Who is calling: the ops admin token, or a tenant key `<tenant>.<keyId>.<secret>` checked by its Tenant.
import type { Context, MiddlewareHandler } from "hono";
import { type Env, tenantStub } from "./env.js";
import { sha256Hex, timingSafeEqual } from "./crypto.js";
import { cachedGrant, rememberGrant } from "./auth-cache.js";
import type { KeyGrant, KeyRole } from "./objects/tenant.js";

export interface Caller extends KeyGrant {
  tenant: string;
}
export type AppEnv = { Bindings: Env; Variables: { caller: Caller } };

/** The one route a browser reaches without headers: the event stream's WebSocket upgrade. */
const EVENT_STREAM = /^\/v1\/sessions\/[^/]+\/events$/;

function bearer(c: Context): string | null {
  const header = c.req.header("authorization");
  // the scheme is case-insensitive (RFC 9110 11.1): bearer, Bearer and BEARER are one
  const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1]!;
  // browsers cannot set headers on a WebSocket: on the event-stream upgrade, and only there, they offer
  // the key as the subprotocol "bearer.<key>" next to "tserver" (the console: no key in any URL), or
  // pass it in the query (a key in a URL ends up in logs and histories: nowhere else is it accepted)
  if (c.req.header("upgrade")?.toLowerCase() === "websocket" && EVENT_STREAM.test(new URL(c.req.url).pathname)) {
    const offered = c.req.header("sec-websocket-protocol")?.split(",").map((p) => p.trim()).find((p) => p.startsWith("bearer."));
    if (offered) return offered.slice(7);
    return c.req.query("access_token") ?? null;
  }
  return null;
}

const problem = (c: Context, status: 401 | 403 | 404 | 429 | 503, message: string) => c.json({ error: message }, status);

/** Shortest admin token accepted (a shorter configured one is refused, not used). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) return problem(c, 503, "ADMIN_TOKEN is not configured on this deployment");
  if (expected.length < MIN_ADMIN_TOKEN_LENGTH) return problem(c, 503, `ADMIN_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: set a longer one`);
  const given = bearer(c);
  // compared as digests: the time taken tells nothing of the token's length or content
  const ok = given !== null && timingSafeEqual(await sha256Hex(given), await sha256Hex(expected));
  if (!ok) {
    const limited = await failureLimited(c, "admin");
    if (limited) return limited;
    return problem(c, 401, "a valid admin token is required");
  }
  await next();
};

/** Too many failed authentications for one key id (or the admin token): 429 for a while. */
async function failureLimited(c: Context<AppEnv>, key: string): Promise<Response | null> {
  const limiter = c.env.AUTH_FAIL_LIMIT;
  if (!limiter) return null;
  const { success } = await limiter.limit({ key });
  if (success) return null;
  c.header("retry-after", String(AUTH_FAIL_PERIOD_S));
  return problem(c, 429, "too many failed authentications for this key: try again later");
}

/** Per key: more requests than the API_LIMIT binding allows get 429 with Retry-After. */
async function rateLimited(c: Context<AppEnv>, key: string): Promise<Response | null> {
  const limiter = c.env.API_LIMIT;
  if (!limiter) return null;
  const { success } = await limiter.limit({ key });
  if (success) return null;
  c.header("retry-after", String(API_PERIOD_S));
  return problem(c, 429, "rate limit of this key exceeded: slow down");
}

/** The periods of the rate-limiting bindings in wrangler.toml (Retry-After). */
const AUTH_FAIL_PERIOD_S = 60;
const API_PERIOD_S = 10;

/** Accepts a tenant key of one of the roles; with a :site in the path, the site must be the tenant's. */
export function requireKey(...roles: KeyRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c);
    const parts = key?.split(".");
    if (!parts || parts.length !== 3 || parts.some((p) => p.length === 0)) {
      return problem(c, 401, key ? "not a tenant key: a key reads <tenant>.<id>.<secret> (Authorization: Bearer <key>)" : "a tenant key is required: Authorization: Bearer <key>");
    }
    const [tenant, keyId, secret] = parts as [string, string, string];
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(tenant)) return problem(c, 401, "malformed key");
    const site = c.req.param("site");
    const limited = await rateLimited(c, `${tenant}.${keyId}`);
    if (limited) return limited;
    const cached = await cachedGrant(key!, site);
    const grant = cached ?? await tenantStub(c.env, tenant).authenticate(keyId, secret, site);
    if (grant && !cached) await rememberGrant(key!, site, tenant, grant);
    if (!grant) {
      // a key that is fine but names a site of nobody it knows is told "not found", so names do not leak
      const valid = site !== undefined && (await tenantStub(c.env, tenant).authenticate(keyId, secret));
      if (valid) return problem(c, 404, `no site "${site}"`);
      return (await failureLimited(c, `${tenant}.${keyId}`)) ?? problem(c, 401, "unknown or revoked key");
    }
    if (!roles.includes(grant.role)) return problem(c, 403, `this needs a key of role ${roles.join(" or ")}; this key's role is ${grant.role}`);
    c.set("caller", { ...grant, tenant });
    await next();
  };
}
