// Demo provisioning over the public API: tenant, sites, DN objects and keys. Used by `npm start` and
// the end-to-end suite, so both exercise the same path a customer's ops would.
import type { DnObject } from "../../shared/client-api.js";

export type DeviceKind = "phone" | "ctiPort" | "routePoint" | "remoteTerminal";
export interface PlanDn {
  number: string;
  type: DnObject["type"];
  switchSpecificType?: number;
  kind: DeviceKind;
}
export type DnPlan = Record<string, PlanDn[]>;
/** DN objects per bulk request (the API's limit). */
const BULK_DNS = 10_000;

/** How Configuration Server would describe each kind of UCM device. */
export function dnObjectFor(number: string, kind: DeviceKind): PlanDn {
  switch (kind) {
    case "routePoint":
      return { number, kind, type: "RoutingPoint" };
    case "ctiPort":
      return { number, kind, type: "Extension", switchSpecificType: 2 };
    default:
      return { number, kind, type: "Extension" };
  }
}

export interface DemoKeys {
  client: string;
  config: string;
  link: Record<string, string>;
}

async function call(api: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, api), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* text */ }
  return { status: res.status, body: parsed };
}

async function must(api: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(api, token, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} -> HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Provisions tenant, sites and DN objects; reuses keys that still work, issues the others. */
export async function provisionDemo(api: string, adminToken: string, tenant: string, plan: DnPlan, previous?: Partial<DemoKeys>): Promise<DemoKeys> {
  await must(api, adminToken, "PUT", `/v1/tenants/${tenant}`);
  const sites = Object.keys(plan);
  for (const site of sites) await must(api, adminToken, "PUT", `/v1/tenants/${tenant}/sites/${site}`);
  const first = sites[0]!;
  const works = async (key: string | undefined, path: string) => !!key && (await call(api, key, "GET", path)).status < 300;
  const issue = async (role: string, site?: string) => (await must(api, adminToken, "POST", `/v1/tenants/${tenant}/keys`, { role, ...(site ? { site } : {}) })).key as string;

  const keys: DemoKeys = {
    client: (await works(previous?.client, `/v1/sites/${first}`)) ? previous!.client! : await issue("client"),
    config: (await works(previous?.config, `/v1/sites/${first}/dns`)) ? previous!.config! : await issue("config"),
    link: {},
  };
  for (const site of sites) {
    const old = previous?.link?.[site];
    // a link key can only be checked by using it; keep it while its tenant still lists it
    keys.link[site] = old && (await keyListed(api, adminToken, tenant, old)) ? old : await issue("link", site);
  }
  // in bulk: one request per 10,000 DN objects, one resync of the site's link agent (docs/client-api.md)
  for (const [site, dns] of Object.entries(plan)) {
    for (let i = 0; i < dns.length; i += BULK_DNS) {
      const chunk = dns.slice(i, i + BULK_DNS).map((dn) => ({ number: dn.number, type: dn.type, ...(dn.switchSpecificType ? { switchSpecificType: dn.switchSpecificType } : {}) }));
      await must(api, keys.config, "PUT", `/v1/sites/${site}/dns`, { dns: chunk });
    }
  }
  return keys;
}

async function keyListed(api: string, adminToken: string, tenant: string, key: string): Promise<boolean> {
  const id = key.split(".")[1];
  const listed = await call(api, adminToken, "GET", `/v1/tenants/${tenant}/keys`);
  return listed.status === 200 && (listed.body.keys as Array<{ id: string }>).some((k) => k.id === id);
}
