// Provisioning by ops (admin token): tenants, their sites and their keys.
import { Hono } from "hono";
import { type AppEnv, requireAdmin } from "../auth.js";
import { siteStub, tenantStub } from "../env.js";
import { KeyRequest, SiteName, TenantName } from "../../../shared/client-api.js";
import { readJson } from "./json.js";
import { forgetKey } from "../auth-cache.js";

export const admin = new Hono<AppEnv>();
admin.use("*", requireAdmin);

admin.put("/:tenant", async (c) => {
  const tenant = c.req.param("tenant");
  const ok = TenantName.safeParse(tenant);
  if (!ok.success) return c.json({ error: `tenant name: ${ok.error.issues[0]?.message}` }, 400);
  const created = await tenantStub(c.env, tenant).ensure(tenant);
  return c.json({ tenant }, created ? 201 : 200);
});

admin.put("/:tenant/sites/:site", async (c) => {
  const { tenant, site } = c.req.param();
  const ok = SiteName.safeParse(site);
  if (!ok.success) return c.json({ error: `site name: ${ok.error.issues[0]?.message}` }, 400);
  const t = tenantStub(c.env, tenant);
  if (!(await t.exists())) return c.json({ error: `no tenant "${tenant}"` }, 404);
  const created = await t.addSite(site);
  await siteStub(c.env, tenant, site).init(tenant, site);
  return c.json({ tenant, site }, created ? 201 : 200);
});

admin.post("/:tenant/keys", async (c) => {
  const tenant = c.req.param("tenant");
  const body = await readJson(c);
  if (!body.ok) return c.json({ error: body.error }, 400);
  const parsed = KeyRequest.safeParse(body.value);
  if (!parsed.success) return c.json({ error: `role must be client, config or link (link needs a site): ${parsed.error.issues[0]?.message}` }, 400);
  const t = tenantStub(c.env, tenant);
  if (!(await t.exists())) return c.json({ error: `no tenant "${tenant}"` }, 404);
  const site = parsed.data.role === "link" ? parsed.data.site : null;
  if (site && !(await t.hasSite(site))) return c.json({ error: `no site "${site}" in tenant "${tenant}"` }, 404);
  const { id, key } = await t.createKey(parsed.data.role, site);
  return c.json({ id, key, role: parsed.data.role, ...(site ? { site } : {}) }, 201);
});

admin.get("/:tenant/keys", async (c) => {
  const t = tenantStub(c.env, c.req.param("tenant"));
  if (!(await t.exists())) return c.json({ error: "no such tenant" }, 404);
  return c.json({ keys: await t.listKeys() });
});

admin.delete("/:tenant/keys/:id", async (c) => {
  const revoked = await tenantStub(c.env, c.req.param("tenant")).revokeKey(c.req.param("id"));
  forgetKey(c.req.param("tenant"), c.req.param("id"));
  return revoked ? c.body(null, 204) : c.json({ error: "no such key" }, 404);
});
