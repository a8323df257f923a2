// The HTTP surface: Hono routes in front of the Durable Objects.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "./auth.js";
import { siteStub } from "./env.js";
import { admin } from "./routes/admin.js";
import { sessions } from "./routes/sessions.js";
import { requests } from "./routes/requests.js";
import { config } from "./routes/config.js";
import { link } from "./routes/link.js";
import { openapi } from "./routes/openapi.js";
import { page } from "./routes/page.js";
import { log, setLogLevel } from "./log.js";

export const app = new Hono<AppEnv>();

app.use("*", async (c, next) => {
  setLogLevel(c.env.LOG_LEVEL);
  await next();
});

app.get("/", (c) => c.html(page));
app.get("/v1/openapi.json", (c) => c.json(openapi));
app.route("/v1/tenants", admin);
app.route("/v1/sessions", sessions);
app.route("/v1/sites/:site/requests", requests);
app.route("/v1/sites/:site/link", link);
app.get("/v1/sites/:site", requireKey("client", "config"), async (c) =>
  c.json({ site: c.req.param("site"), ...(await siteStub(c.env, c.get("caller").tenant, c.req.param("site")).status()) }));
app.route("/v1/sites/:site", config);

app.notFound((c) => c.json({ error: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
app.onError((err, c) => {
  log.error("unhandled error", { path: new URL(c.req.url).pathname, error: String(err), stack: err.stack });
  return c.json({ event: { event: "EventError", errorCode: 52, errorMessage: "internal error; the server logged it" } }, 500);
});
