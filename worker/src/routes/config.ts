// Configuration like Configuration Server: application options by section and DN objects.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "../auth.js";
import { siteStub } from "../env.js";
import { DnObject, OptionSection } from "../../../shared/client-api.js";
import { sectionSpec, validateSection } from "../options.js";
import { readJson } from "./json.js";

export const config = new Hono<AppEnv>();
// per path, so that other routes under /v1/sites/<site>/ are not taken for configuration
for (const path of ["/options/*", "/dns", "/dns/*"]) config.use(path, requireKey("config"));

const dnNumber = /^[0-9A-Za-z*#+._-]{1,32}$/;

config.get("/options/:section", async (c) => {
  const section = c.req.param("section");
  if (!sectionSpec(section)) return c.json({ error: `unknown section "${section}"` }, 404);
  return c.json(await siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).getOptions(section));
});

config.put("/options/:section", async (c) => {
  const section = c.req.param("section");
  const body = await readJson(c);
  if (!body.ok) return c.json({ error: body.error }, 400);
  const shape = OptionSection.safeParse(body.value);
  if (!shape.success) return c.json({ error: "a section is a JSON object of option names to string values" }, 400);
  // GET shows an unset option as "": sent back, it stays unset (GET-modify-PUT works)
  const values = Object.fromEntries(Object.entries(shape.data).filter(([, v]) => v !== ""));
  const errors = validateSection(section, values);
  if (errors.length) return c.json({ error: errors.join("; "), errors }, 400);
  const site = siteStub(c.env, c.get("caller").tenant, c.req.param("site")!);
  await site.putOptions(section, values);
  return c.json(await site.getOptions(section));
});

/** Largest bulk request: DN objects per PUT /dns, and its body. */
export const MAX_BULK_DNS = 10_000;
const MAX_BULK_BYTES = 2 * 1024 * 1024;

// one RPC to the Site, which holds every DN object's configuration; ?limit= pages, ?after= continues
config.get("/dns", async (c) => {
  const limitParam = c.req.query("limit");
  const limit = limitParam === undefined ? undefined : Number(limitParam);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_BULK_DNS)) return c.json({ error: `limit must be an integer from 1 to ${MAX_BULK_DNS}` }, 400);
  const page = await siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).listDns(c.req.query("after") ?? "", limit);
  return c.json(limit === undefined ? { dns: page.dns } : page);
});

config.get("/dns/:number", async (c) => {
  const site = c.req.param("site")!;
  const number = c.req.param("number");
  const dn = await siteStub(c.env, c.get("caller").tenant, site).getDn(number);
  if (!dn) return c.json({ error: `no DN "${number}" on site ${site}` }, 404);
  return c.json({ number, ...dn });
});

// bulk provisioning: up to MAX_BULK_DNS DN objects created or replaced at once, one resync of the link agent
config.put("/dns", async (c) => {
  const body = await readJson(c, MAX_BULK_BYTES);
  if (!body.ok) return c.json({ error: body.error }, 400);
  const list = (body.value as { dns?: unknown } | null)?.dns;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BULK_DNS) return c.json({ error: `the body is { dns: [ { number, type, switchSpecificType?, annex? }, ... ] } with 1 to ${MAX_BULK_DNS} DN objects` }, 400);
  const entries: Array<{ number: string; config: DnObject }> = [];
  const seen = new Set<string>();
  for (const [i, raw] of list.entries()) {
    const { number, ...rest } = (raw ?? {}) as { number?: unknown };
    if (typeof number !== "string" || !dnNumber.test(number)) return c.json({ error: `dns[${i}].number: a DN number is 1-32 digits, letters or *#+._-` }, 400);
    if (seen.has(number)) return c.json({ error: `dns[${i}].number: ${number} is listed twice` }, 400);
    seen.add(number);
    const parsed = DnObject.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return c.json({ error: `dns[${i}] (${number}): ${issue.path.join(".") || "body"}: ${issue.message}` }, 400);
    }
    const annexErrors = Object.entries(parsed.data.annex ?? {}).flatMap(([section, values]) =>
      sectionSpec(section) ? validateSection(section, values).map((e) => `dns[${i}] (${number}) annex: ${e}`) : []);
    if (annexErrors.length) return c.json({ error: annexErrors.join("; "), errors: annexErrors }, 400);
    entries.push({ number, config: parsed.data });
  }
  return c.json(await siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).putDns(entries));
});

config.put("/dns/:number", async (c) => {
  const number = c.req.param("number");
  if (!dnNumber.test(number)) return c.json({ error: "a DN number is 1-32 digits, letters or *#+._-" }, 400);
  const body = await readJson(c);
  if (!body.ok) return c.json({ error: body.error }, 400);
  // what GET answers (the object with its number) is accepted back as it is
  const given = body.value;
  if (given && typeof given === "object" && !Array.isArray(given) && "number" in given) {
    const { number: named, ...rest } = given as Record<string, unknown>;
    if (named !== number) return c.json({ error: `number: the body names DN "${String(named)}" but the path names "${number}"` }, 400);
    body.value = rest;
  }
  const parsed = DnObject.safeParse(body.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return c.json({ error: `${issue.path.join(".") || "body"}: ${issue.message} (a DN object is { type: Extension | ACDPosition | RoutingPoint, switchSpecificType?, annex? })` }, 400);
  }
  const annexErrors = Object.entries(parsed.data.annex ?? {}).flatMap(([section, values]) =>
    sectionSpec(section) ? validateSection(section, values).map((e) => `annex: ${e}`) : []);
  if (annexErrors.length) return c.json({ error: annexErrors.join("; "), errors: annexErrors }, 400);
  const created = await siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).putDn(number, parsed.data);
  return c.json({ number, ...parsed.data }, created ? 201 : 200);
});

config.delete("/dns/:number", async (c) => {
  const deleted = await siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).deleteDn(c.req.param("number"));
  return deleted ? c.body(null, 204) : c.json({ error: "no such DN" }, 404);
});
