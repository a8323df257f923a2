// The API as an integrator meets it: the description covers every route, errors are short and of one
// shape, GET-modify-PUT round trips, wrong methods and trailing slashes are told so, CORS for browsers.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app.js";
import { ADMIN, api, provision } from "./helpers.js";

const worker = (exports as unknown as { default: { fetch: (input: string, init?: RequestInit) => Promise<Response> } }).default;

describe("the API description", () => {
  it("documents every route the app serves, with the server it was asked on", async () => {
    const doc = (await api("GET", "/v1/openapi.json", "")).body;
    expect(doc.servers).toEqual([{ url: "http://tserver.test" }]);
    const served = app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*") && r.path !== "/" && !r.path.endsWith("/"))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z]+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(15);
    const documented = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    // the /v1/sites/:site/requests 405 answers are documented as 405 of the POST; the page at / is not API
    for (const route of served.filter((r) => !(r.endsWith("/requests") && !r.startsWith("post")))) {
      const normal = route.replace("{id}", "{id}");
      expect(documented, route).toContain(normal);
    }
  });

  it("renders a reference page with no outside resources", async () => {
    const res = await worker.fetch("http://tserver.test/v1/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("POST</span> <code>/v1/sites/{site}/requests</code>");
    expect(html).toContain('id="schema-Request"');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
  });

  it("answers /healthz without a credential", async () => {
    const res = await api("GET", "/healthz", "");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", program: "worker" });
  });
});

describe("API ergonomics", () => {
  it("answers a request-name typo with a short suggestion, not the list", async () => {
    const p = await provision("ergo-typo", ["site-a"]);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const res = await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestMakeCal", thisDN: "1001" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('request: "RequestMakeCal" is not a T-Library request; did you mean RequestMakeCall?');
    expect(res.body.event).toMatchObject({ event: "EventError", errorCode: 53, errorMessage: res.body.error });
    const lower = await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "answercall", thisDN: "1001" });
    expect(lower.body.error).toContain("did you mean RequestAnswerCall");
    const nonsense = await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "Xyzzy", thisDN: "1001" });
    expect(nonsense.body.error).toBe('request: "Xyzzy" is not a T-Library request (the list is in /v1/docs)');
  });

  it("tells a wrong method or a trailing slash on /requests so, whatever the key", async () => {
    const p = await provision("ergo-405", ["site-a"]);
    for (const key of [p.client, p.config, ""]) {
      const get = await worker.fetch("http://tserver.test/v1/sites/site-a/requests", { headers: { authorization: `Bearer ${key}` } });
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect(((await get.json()) as { error: string }).error).toContain("POST /v1/sites/site-a/requests");
    }
    const slash = await api("POST", "/v1/sites/site-a/requests/", p.client, {});
    expect(slash.status).toBe(404);
    expect(slash.body.error).toBe("no route POST /v1/sites/site-a/requests/; did you mean /v1/sites/site-a/requests?");
  });

  it("takes the bearer scheme in any case", async () => {
    const p = await provision("ergo-bearer", ["site-a"]);
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await worker.fetch("http://tserver.test/v1/sites/site-a", { headers: { authorization: `${scheme} ${p.client}` } });
      expect(res.status, scheme).toBe(200);
    }
  });

  it("accepts back what GET of a DN object and of an options section answer", async () => {
    const p = await provision("ergo-roundtrip", ["site-a"]);
    expect((await api("PUT", "/v1/sites/site-a/dns/1001", p.config, { type: "Extension", annex: { TServer: { "route-invalid-dest-action": "logout" } } })).status).toBe(201);
    const got = (await api("GET", "/v1/sites/site-a/dns/1001", p.config)).body;
    expect(got).toEqual({ number: "1001", type: "Extension", annex: { TServer: { "route-invalid-dest-action": "logout" } } });
    const put = await api("PUT", "/v1/sites/site-a/dns/1001", p.config, { ...got, switchSpecificType: 2 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ number: "1001", type: "Extension", switchSpecificType: 2, annex: { TServer: { "route-invalid-dest-action": "logout" } } });
    const wrong = await api("PUT", "/v1/sites/site-a/dns/1001", p.config, { ...got, number: "1002" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('number: the body names DN "1002" but the path names "1001"');

    // a secret shown masked keeps its value when sent back
    expect((await api("PUT", "/v1/sites/site-a/options/link-tls", p.config, { password: "s3cret-pass" })).status).toBe(200);
    const tls = (await api("GET", "/v1/sites/site-a/options/link-tls", p.config)).body;
    expect(tls.password).toBe("********");
    const back = await api("PUT", "/v1/sites/site-a/options/link-tls", p.config, tls);
    expect(back.body.error).toBeUndefined();
    expect(back.status).toBe(200);
    const { runInDurableObject } = await import("cloudflare:test");
    const { env } = await import("cloudflare:workers");
    const stored = await runInDurableObject(env.SITE.getByName("ergo-roundtrip/site-a"), (site) => site["linkOptions"]());
    expect(stored["link-tls"]?.password).toBe("s3cret-pass");
  });

  it("gives every error one shape: a sentence in `error`", async () => {
    const p = await provision("ergo-shape", ["site-a"]);
    const answers = [
      await api("GET", "/v1/sites/site-a/dns", "nope"),
      await api("GET", "/v1/sites/site-a/dns", p.client),
      await api("PUT", "/v1/sites/site-a/dns/1001", p.config, { type: "Phone" }),
      await api("POST", "/v1/sessions", p.config),
      await api("PUT", `/v1/tenants/Bad_Name`, ADMIN),
      await api("POST", "/v1/sites/site-a/requests", p.client, "{oops"),
      await api("GET", "/v1/nothing", p.client),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 403, 400, 403, 400, 400, 404]);
    for (const a of answers) expect(typeof a.body.error).toBe("string");
    // a key that was sent but is not one is told so, not asked for
    expect(answers[0]!.body.error).toBe("not a tenant key: a key reads <tenant>.<id>.<secret> (Authorization: Bearer <key>)");
    expect((await api("GET", "/v1/sites/site-a/dns", "")).body.error).toBe("a tenant key is required: Authorization: Bearer <key>");
  });

  it("lets a browser desktop on another origin call it (bearer auth, no cookies)", async () => {
    const pre = await worker.fetch("http://tserver.test/v1/sites/site-a/requests", {
      method: "OPTIONS",
      headers: { origin: "https://desktop.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("keys on the event stream", () => {
  it("takes a client key offered as the WebSocket subprotocol bearer.<key> and answers with tserver", async () => {
    const p = await provision("ergo-subprotocol", ["site-a"]);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    const res = await worker.fetch(`http://tserver.test/v1/sessions/${sessionId}/events`, { headers: { upgrade: "websocket", "sec-websocket-protocol": `tserver, bearer.${p.client}` } });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("tserver");
    res.webSocket!.accept();
    res.webSocket!.close(1000, "done");
    const wrong = await worker.fetch(`http://tserver.test/v1/sessions/${sessionId}/events`, { headers: { upgrade: "websocket", "sec-websocket-protocol": "tserver, bearer.ergo-subprotocol.nope.nope" } });
    expect(wrong.status).toBe(401);
    // only on an upgrade: a plain request with the header is not authenticated by it
    const plain = await worker.fetch("http://tserver.test/v1/sites/site-a", { headers: { "sec-websocket-protocol": `bearer.${p.client}` } });
    expect(plain.status).toBe(401);
  });
});
