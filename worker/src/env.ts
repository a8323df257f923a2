import type { Tenant } from "./objects/tenant.js";
import type { Site } from "./objects/site.js";
import type { Dn } from "./objects/dn.js";
import type { Session } from "./objects/session.js";
import type { Call } from "./objects/call.js";

export interface Env {
  TENANT: DurableObjectNamespace<Tenant>;
  SITE: DurableObjectNamespace<Site>;
  DN: DurableObjectNamespace<Dn>;
  SESSION: DurableObjectNamespace<Session>;
  CALL: DurableObjectNamespace<Call>;
  /** Ops credential for provisioning (a Worker secret). */
  ADMIN_TOKEN?: string;
  LOG_LEVEL?: string;
  /** Origins allowed to call the API from a browser, comma-separated; default `*` (bearer auth, no cookies). */
  CORS_ORIGINS?: string;
  /** Requests per key (wrangler.toml [[ratelimits]]; absent: no limit). */
  API_LIMIT?: RateLimit;
  /** Failed authentications per key id and of the admin token. */
  AUTH_FAIL_LIMIT?: RateLimit;
}

/** Durable Object names: every object is scoped by tenant (and site) in its name. */
export const names = {
  tenant: (tenant: string) => tenant,
  site: (tenant: string, site: string) => `${tenant}/${site}`,
  dn: (tenant: string, site: string, dn: string) => `${tenant}/${site}/${dn}`,
  session: (tenant: string, sessionId: string) => `${tenant}/${sessionId}`,
  call: (tenant: string, site: string, connID: string) => `${tenant}/${site}/call/${connID}`,
};

export function siteStub(env: Env, tenant: string, site: string) {
  return env.SITE.getByName(names.site(tenant, site));
}
export function dnStub(env: Env, tenant: string, site: string, dn: string) {
  return env.DN.getByName(names.dn(tenant, site, dn));
}
export function sessionStub(env: Env, tenant: string, sessionId: string) {
  return env.SESSION.getByName(names.session(tenant, sessionId));
}
export function callStub(env: Env, tenant: string, site: string, connID: string) {
  return env.CALL.getByName(names.call(tenant, site, connID));
}
export function tenantStub(env: Env, tenant: string) {
  return env.TENANT.getByName(names.tenant(tenant));
}
