// Client sessions and their event stream.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "../auth.js";
import { sessionStub } from "../env.js";
import { randomHex } from "../crypto.js";

export const sessions = new Hono<AppEnv>();
sessions.use("*", requireKey("client"));

sessions.post("/", async (c) => {
  const { tenant } = c.get("caller");
  const sessionId = randomHex(12);
  await sessionStub(c.env, tenant, sessionId).create(tenant, sessionId);
  return c.json({ sessionId, events: `/v1/sessions/${sessionId}/events` }, 201);
});

sessions.get("/:id", async (c) => {
  const stub = sessionStub(c.env, c.get("caller").tenant, c.req.param("id"));
  if (!(await stub.isOpen())) return c.json({ error: "no such session" }, 404);
  return c.json({ sessionId: c.req.param("id"), registrations: await stub.registrations() });
});

sessions.delete("/:id", async (c) => {
  const stub = sessionStub(c.env, c.get("caller").tenant, c.req.param("id"));
  if (!(await stub.isOpen())) return c.json({ error: "no such session" }, 404);
  await stub.end("session deleted by the client");
  return c.body(null, 204);
});

sessions.get("/:id/events", async (c) => {
  // the Durable Object accepts the socket itself so that it can hibernate
  const res = await sessionStub(c.env, c.get("caller").tenant, c.req.param("id")).fetch(c.req.raw);
  // a browser that offered the key as a subprotocol must see one of its protocols chosen: "tserver"
  const offered = c.req.header("sec-websocket-protocol")?.split(",").map((p) => p.trim()) ?? [];
  if (res.status !== 101 || !res.webSocket || !offered.includes("tserver")) return res;
  return new Response(null, { status: 101, webSocket: res.webSocket, headers: { "sec-websocket-protocol": "tserver" } });
});
