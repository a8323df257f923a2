// The per-key API limit (docs/client-api.md "Rate limits"): a key beyond it gets 429 with Retry-After,
// the tenant's other keys do not, and it works again in the next window. The worker takes its limiter
// from the API_LIMIT binding; here the binding is a limiter of the same kind (fixed windows counted per
// key, as Cloudflare's and wrangler dev's are) whose limit is small and whose clock the test moves, so
// no test waits for a real window to pass.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import handler from "../src/index.js";
import type { Env } from "../src/env.js";
import { ADMIN, api, provision } from "./helpers.js";

/** A fixed-window limiter per key, as the rate-limiting binding counts (limit per `periodS`), on a clock of the test's. */
function windowLimiter(limit: number, periodS: number) {
  let nowMs = 1_000_000_000_000;
  const counts = new Map<string, number>();
  let window = -1;
  const keys: string[] = [];
  return {
    keys,
    advance(ms: number) { nowMs += ms; },
    binding: {
      async limit({ key }: { key: string }) {
        keys.push(key);
        const w = Math.floor(nowMs / (periodS * 1000));
        if (w !== window) { window = w; counts.clear(); }
        const n = counts.get(key) ?? 0;
        if (n >= limit) return { success: false };
        counts.set(key, n + 1);
        return { success: true };
      },
    } as RateLimit,
  };
}

async function get(path: string, key: string, limiter: RateLimit) {
  const ctx = createExecutionContext();
  const res = await handler.fetch(new Request(`http://tserver.test${path}`, { headers: { authorization: `Bearer ${key}` } }), { ...(env as unknown as Env), API_LIMIT: limiter }, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), contentType: res.headers.get("content-type"), body: await res.json() as unknown };
}

describe("the API rate limit per key", { timeout: 30_000 }, () => {
  it("answers 429 with Retry-After beyond the limit, leaves the tenant's other keys alone, and lets the key back in the next window", async () => {
    const p = await provision("ratelimited", ["site-a"]);
    const other = (await api("POST", "/v1/tenants/ratelimited/keys", ADMIN, { role: "client" })).body.key as string;
    const limiter = windowLimiter(5, 10);

    const first = [];
    for (let i = 0; i < 5; i++) first.push((await get("/v1/sites/site-a", p.client, limiter.binding)).status);
    expect(first).toEqual([200, 200, 200, 200, 200]);
    const refused = await get("/v1/sites/site-a", p.client, limiter.binding);
    expect(refused).toEqual({ status: 429, retryAfter: "10", contentType: expect.stringContaining("application/json"), body: { error: "rate limit of this key exceeded: slow down" } });
    // refused on every route the key reaches, not only the one it used
    expect((await get("/v1/sites/site-a/dns", p.client, limiter.binding)).status).toBe(429);

    // another key of the same tenant has its own count
    expect((await get("/v1/sites/site-a", other, limiter.binding)).status).toBe(200);
    // counted by key id (tenant.keyId), never by the secret
    const [tenant, keyId] = p.client.split(".");
    const [, otherId] = other.split(".");
    expect(new Set(limiter.keys)).toEqual(new Set([`${tenant}.${keyId}`, `${tenant}.${otherId}`]));

    // still refused within the window, served again in the next one
    limiter.advance(5_000);
    expect((await get("/v1/sites/site-a", p.client, limiter.binding)).status).toBe(429);
    limiter.advance(5_000);
    expect(await get("/v1/sites/site-a", p.client, limiter.binding)).toMatchObject({ status: 200, body: { site: "site-a" } });
  });

  it("is the API_LIMIT binding of wrangler.toml in this worker's environment", async () => {
    const binding = (env as unknown as Env).API_LIMIT;
    expect(binding).toBeDefined();
    expect(await binding!.limit({ key: "binding-check.k1" })).toEqual({ success: true });
  });
});
