// Client sessions and their event stream.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "../auth.js";
import { sessionStub, tenantStub } from "../env.js";
import { randomHex } from "../crypto.js";

export const sessions = new Hono<AppEnv>();
sessions.use("*", requireKey("client"));

sessions.post("/", async (c) => {
  const { tenant, keyId } = c.get("caller");
  const sessionId = randomHex(12);
  // the tenant knows which key opened it (revoking the key ends it); the session answers only that key
  await tenantStub(c.env, tenant).sessionOpened(sessionId, keyId);
  await sessionStub(c.env, tenant, sessionId).create(tenant, sessionId, keyId);
  return c.json({ sessionId, events: `/v1/sessions/${sessionId}/events` }, 201);
});

sessions.get("/:id", async (c) => {
  const stub = sessionStub(c.env, c.get("caller").tenant, c.req.param("id"));
  if (!(await stub.isOpen(c.get("caller").keyId))) return c.json({ error: "no such session" }, 404);
  return c.json({ sessionId: c.req.param("id"), registrations: await stub.registrations() });
});

sessions.delete("/:id", async (c) => {
  const stub = sessionStub(c.env, c.get("caller").tenant, c.req.param("id"));
  if (!(await stub.isOpen(c.get("caller").keyId))) return c.json({ error: "no such session" }, 404);
  await stub.end("session deleted by the client");
  return c.body(null, 204);
});

sessions.get("/:id/events", async (c) => {
  // the Durable Object accepts the socket itself so that it can hibernate
  const headers = new Headers(c.req.raw.headers);
  headers.set("x-key-id", c.get("caller").keyId);
  return sessionStub(c.env, c.get("caller").tenant, c.req.param("id")).fetch(new Request(c.req.raw.url, { headers }));
});
