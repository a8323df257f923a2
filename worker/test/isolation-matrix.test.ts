// Tenant isolation (issue 12): every route x every key role x a foreign tenant's key gets the documented
// answer (docs/client-api.md: wrong role 403, another tenant's site or session 404, no or a bad key 401),
// and no answer to a foreign key carries anything of the other tenant.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, provision } from "./helpers.js";

const worker = (exports as unknown as { default: { fetch: (input: string, init?: RequestInit) => Promise<Response> } }).default;

type Who = "client" | "config" | "link" | "foreignClient" | "foreignConfig" | "foreignLink" | "none" | "malformed" | "unknownTenant";
const WHO: Who[] = ["client", "config", "link", "foreignClient", "foreignConfig", "foreignLink", "none", "malformed", "unknownTenant"];

describe("the tenant-isolation matrix", { timeout: 60_000 }, () => {
  it("answers every route for every key as documented, and leaks nothing across tenants", async () => {
    const a = await provision("iso-a", ["a-site"], { "a-site": [{ number: "1001" }] });
    const b = await provision("iso-b", ["b-site"], { "b-site": [{ number: "1001" }] });
    const { sessionId } = (await api("POST", "/v1/sessions", a.client, {})).body;
    const keys: Record<Who, string> = {
      client: a.client, config: a.config, link: a.link["a-site"]!, foreignClient: b.client, foreignConfig: b.config, foreignLink: b.link["b-site"]!,
      none: "", malformed: "not-a-key", unknownTenant: "iso-z.k1.secret",
    };
    const secretsOfA = [a.client, a.config, a.link["a-site"]!].map((k) => k.split(".")[2]!);
    const bad = { none: 401, malformed: 401, unknownTenant: 401 } as const;
    // expected status per route and caller; `own` is what the right role of tenant A gets
    const rows: Array<{ route: string; method: string; path: string; body?: unknown; upgrade?: boolean; expect: Partial<Record<Who, number>> }> = [
      { route: "session info", method: "GET", path: `/v1/sessions/${sessionId}`, expect: { client: 200, config: 403, link: 403, foreignClient: 404, foreignConfig: 403, foreignLink: 403, ...bad } },
      { route: "event stream", method: "GET", path: `/v1/sessions/${sessionId}/events`, upgrade: true, expect: { client: 101, config: 403, link: 403, foreignClient: 404, foreignConfig: 403, foreignLink: 403, ...bad } },
      { route: "request", method: "POST", path: "/v1/sites/a-site/requests", body: { sessionId, request: "RequestQueryAddress", thisDN: "1001" }, expect: { client: 200, config: 403, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "site status", method: "GET", path: "/v1/sites/a-site", expect: { client: 200, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "options read", method: "GET", path: "/v1/sites/a-site/options/TServer", expect: { client: 403, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "options write", method: "PUT", path: "/v1/sites/a-site/options/TServer", body: { "request-timeout": "10" }, expect: { client: 403, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "DN list", method: "GET", path: "/v1/sites/a-site/dns", expect: { client: 403, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "DN read", method: "GET", path: "/v1/sites/a-site/dns/1001", expect: { client: 403, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "DN write", method: "PUT", path: "/v1/sites/a-site/dns/1001", body: { type: "Extension" }, expect: { client: 403, config: 200, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "DN delete", method: "DELETE", path: "/v1/sites/a-site/dns/7777", expect: { client: 403, config: 404, link: 403, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "link agent", method: "GET", path: "/v1/sites/a-site/link", upgrade: true, expect: { client: 403, config: 403, link: 101, foreignClient: 404, foreignConfig: 404, foreignLink: 404, ...bad } },
      { route: "provision tenant", method: "PUT", path: "/v1/tenants/iso-a", expect: { client: 401, config: 401, link: 401, foreignClient: 401, foreignConfig: 401, foreignLink: 401, ...bad } },
      { route: "list keys", method: "GET", path: "/v1/tenants/iso-a/keys", expect: { client: 401, config: 401, link: 401, foreignClient: 401, foreignConfig: 401, foreignLink: 401, ...bad } },
      { route: "revoke a key", method: "DELETE", path: `/v1/tenants/iso-a/keys/${a.client.split(".")[1]}`, expect: { client: 401, config: 401, link: 401, foreignClient: 401, foreignConfig: 401, foreignLink: 401, ...bad } },
      { route: "end session", method: "DELETE", path: `/v1/sessions/${sessionId}`, expect: { config: 403, link: 403, foreignClient: 404, foreignConfig: 403, foreignLink: 403, ...bad, client: 204 } },
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const row of rows) {
      for (const who of WHO) {
        const expected = row.expect[who];
        if (expected === undefined) continue;
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
        if (row.upgrade) headers.upgrade = "websocket";
        const res = await worker.fetch(`http://tserver.test${row.path}`, { method: row.method, headers, body: row.body === undefined ? undefined : JSON.stringify(row.body) });
        if (res.webSocket) { res.webSocket.accept(); res.webSocket.close(1000); }
        const text = res.status === 101 ? "" : await res.text();
        // failed admin authentications are limited (20 a minute, docs/client-api.md): 429 then stands for 401
        const status = res.status === 429 && expected === 401 && res.headers.get("retry-after") ? 401 : res.status;
        got.push(`${row.route} as ${who}: ${status}`);
        want.push(`${row.route} as ${who}: ${expected}`);
        if (who.startsWith("foreign") || who in bad) {
          // nothing of tenant A in an answer to anyone else: no session, no key, no option value
          for (const secret of secretsOfA) expect(text).not.toContain(secret);
          expect(text).not.toContain(sessionId);
          expect(text).not.toContain("registrations");
          expect(text).not.toContain("request-timeout");
        }
      }
    }
    expect(got).toEqual(want);
  });
});
