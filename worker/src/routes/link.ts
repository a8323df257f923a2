// The link agents' WebSocket: authenticated by a `link` key of this very site.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "../auth.js";
import { siteStub } from "../env.js";

export const link = new Hono<AppEnv>();
link.use("*", requireKey("link"));

link.get("/", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return c.json({ error: "the link endpoint is a WebSocket" }, 426);
  const headers = new Headers(c.req.raw.headers);
  headers.set("x-key-id", c.get("caller").keyId);
  return siteStub(c.env, c.get("caller").tenant, c.req.param("site")!).fetch(new Request(c.req.raw.url, { headers }));
});
