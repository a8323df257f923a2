// The HTTP surface: Hono routes in front of the Durable Objects.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "./auth.js";
import { siteStub } from "./env.js";
import { admin } from "./routes/admin.js";
import { sessions } from "./routes/sessions.js";
import { requests } from "./routes/requests.js";
import { config } from "./routes/config.js";
import { link } from "./routes/link.js";
import { openapiDocument } from "./routes/openapi.js";
import { renderDocs } from "./routes/docs.js";
import { cors } from "hono/cors";
import { page } from "./routes/page.js";
import { log, setLogLevel } from "./log.js";

export const app = new Hono<AppEnv>();

app.use("*", async (c, next) => {
  setLogLevel(c.env.LOG_LEVEL);
  await next();
});

app.get("/", (c) => c.html(page));
const origin = (c: { req: { url: string } }) => new URL(c.req.url).origin;
app.get("/healthz", (c) => c.json({ status: "ok" as const, program: "worker", time: new Date().toISOString() }, 200, { "cache-control": "no-store" }));
app.get("/v1/openapi.json", (c) => c.json(openapiDocument(origin(c))));
app.get("/v1/docs", (c) => c.html(renderDocs(origin(c))));
// Browser desktops on another origin: the API authenticates by a bearer header, never by cookie, so any
// origin may call it; a deployment narrows it with CORS_ORIGINS (comma-separated). docs/client-api.md.
app.use("/v1/*", async (c, next) => {
  const allowed = (c.env.CORS_ORIGINS ?? "*").split(",").map((o) => o.trim()).filter(Boolean);
  return cors({
    origin: allowed.includes("*") ? "*" : allowed,
    allowMethods: ["GET", "POST", "PUT", "DELETE"],
    allowHeaders: ["authorization", "content-type"],
    maxAge: 600,
  })(c, next);
});
// only POST exists on /requests: other methods are told so before any key check
app.on(["GET", "PUT", "DELETE", "PATCH"], ["/v1/sites/:site/requests", "/v1/sites/:site/requests/"], (c) =>
  c.json({ error: `${c.req.method} is not allowed here: send a request with POST /v1/sites/${c.req.param("site")}/requests` }, 405, { allow: "POST" }));
app.route("/v1/tenants", admin);
app.route("/v1/sessions", sessions);
app.route("/v1/sites/:site/requests", requests);
app.route("/v1/sites/:site/link", link);
app.get("/v1/sites/:site", requireKey("client", "config"), async (c) =>
  c.json({ site: c.req.param("site"), ...(await siteStub(c.env, c.get("caller").tenant, c.req.param("site")).status()) }));
app.route("/v1/sites/:site", config);

app.notFound((c) => {
  const path = new URL(c.req.url).pathname;
  const hint = path.length > 1 && path.endsWith("/") ? `; did you mean ${path.replace(/\/+$/, "")}?` : "; the routes are listed at /v1/docs";
  return c.json({ error: `no route ${c.req.method} ${path}${hint}` }, 404);
});
app.onError((err, c) => {
  log.error("unhandled error", { path: new URL(c.req.url).pathname, error: String(err), stack: err.stack });
  return c.json({ error: "internal error; the server logged it", event: { event: "EventError", errorCode: 52, errorMessage: "internal error; the server logged it" } }, 500);
});
