// Credentials: admin for provisioning, tenant keys scoped to their tenant and role.
import { describe, expect, it } from "vitest";
import { ADMIN, api, provision } from "./helpers.js";

describe("provisioning and keys", () => {
  it("refuses provisioning without the admin token", async () => {
    expect((await api("PUT", "/v1/tenants/nope", "wrong")).status).toBe(401);
    expect((await api("PUT", "/v1/tenants/Bad_Name", ADMIN)).status).toBe(400);
    expect((await api("PUT", "/v1/tenants/ghost/sites/x", ADMIN)).status).toBe(404);
    expect((await api("POST", "/v1/tenants/ghost/keys", ADMIN, { role: "client" })).status).toBe(404);
    expect((await api("POST", "/v1/tenants/ghost/keys", ADMIN, "{not json")).status).toBe(400);
  });

  it("keeps each tenant's keys to its own tenant: another tenant's site is not found", async () => {
    const a = await provision("tenant-a", ["site-1"]);
    const b = await provision("tenant-b", ["site-2"]);
    expect((await api("GET", "/v1/sites/site-1/dns", a.config)).status).toBe(200);
    expect((await api("GET", "/v1/sites/site-1/dns", b.config)).status).toBe(404);
    expect((await api("GET", "/v1/sites/site-2/options/TServer", a.config)).status).toBe(404);
    const session = (await api("POST", "/v1/sessions", a.client, {})).body.sessionId;
    // a session of tenant-a is nobody's in tenant-b
    expect((await api("DELETE", `/v1/sessions/${session}`, b.client)).status).toBe(404);
    const r = await api("POST", "/v1/sites/site-1/requests", b.client, { sessionId: session, request: "RequestRegisterAddress", thisDN: "1001" });
    expect(r.status).toBe(404);
  });

  it("checks roles, malformed and revoked keys", async () => {
    const p = await provision("tenant-roles", ["s1", "s2"]);
    expect((await api("POST", "/v1/sessions", p.config, {})).status).toBe(403);
    expect((await api("GET", "/v1/sites/s1/dns", p.client)).status).toBe(403);
    expect((await api("GET", "/v1/sites/s1/dns", "not-a-key")).status).toBe(401);
    expect((await api("GET", "/v1/sites/s1/dns", "tenant-roles.0000.bad")).status).toBe(401);
    // a link key serves its own site only
    expect((await api("GET", "/v1/sites/s2/link", p.link.s1!)).status).toBe(404);
    const issued = (await api("POST", "/v1/tenants/tenant-roles/keys", ADMIN, { role: "config" })).body;
    expect(issued.key.startsWith("tenant-roles.")).toBe(true);
    expect((await api("GET", "/v1/sites/s1/dns", issued.key)).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/tenant-roles/keys/${issued.id}`, ADMIN)).status).toBe(204);
    expect((await api("GET", "/v1/sites/s1/dns", issued.key)).status).toBe(401);
    const listed = (await api("GET", "/v1/tenants/tenant-roles/keys", ADMIN)).body.keys;
    expect(JSON.stringify(listed)).not.toContain(p.client.split(".")[2]);
  });
});

describe("configuration", () => {
  it("validates options, naming the option and its valid values", async () => {
    const p = await provision("tenant-options", ["s1"]);
    expect((await api("GET", "/v1/sites/s1/options/TServer", p.config)).body).toEqual({ "client-disconnect-grace": "10", "cti-port-release-timeout": "10", "remote-observe-timeout": "20", "request-timeout": "10", "route-invalid-dest-action": "none" });
    const bad = await api("PUT", "/v1/sites/s1/options/TServer", p.config, { "client-disconnect-grace": "soon" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("client-disconnect-grace");
    expect(bad.body.error).toContain("0-3600");
    const unknown = await api("PUT", "/v1/sites/s1/options/TServer", p.config, { "no-such-option": "1" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('unknown option "no-such-option"');
    expect((await api("PUT", "/v1/sites/s1/options/Nowhere", p.config, {})).status).toBe(400);
    const ok = await api("PUT", "/v1/sites/s1/options/TServer", p.config, { "client-disconnect-grace": "0" });
    expect(ok.body["client-disconnect-grace"]).toBe("0");
  });

  it("stores DN objects and refuses malformed ones", async () => {
    const p = await provision("tenant-dns", ["s1"]);
    expect((await api("PUT", "/v1/sites/s1/dns/1901", p.config, { type: "Extension", switchSpecificType: 2, annex: { TServer: {} } })).status).toBe(201);
    expect((await api("PUT", "/v1/sites/s1/dns/1901", p.config, { type: "Extension", switchSpecificType: 2 })).status).toBe(200);
    expect((await api("PUT", "/v1/sites/s1/dns/1500", p.config, { type: "RoutingPoint" })).status).toBe(201);
    expect((await api("PUT", "/v1/sites/s1/dns/1502", p.config, { type: "Queue" })).status).toBe(400);
    expect((await api("PUT", "/v1/sites/s1/dns/1503", p.config, { type: "Extension", extra: 1 })).status).toBe(400);
    expect((await api("GET", "/v1/sites/s1/dns", p.config)).body.dns).toEqual([
      { number: "1500", type: "RoutingPoint" },
      { number: "1901", type: "Extension", switchSpecificType: 2 },
    ]);
    expect((await api("DELETE", "/v1/sites/s1/dns/1500", p.config)).status).toBe(204);
    expect((await api("GET", "/v1/sites/s1/dns/1500", p.config)).status).toBe(404);
  });
});

describe("route-invalid-dest-action", () => {
  it("is refused at configuration time with a value other than none, notready, walkaway, logout (any case)", async () => {
    const p = await provision("tenant-f1", ["s1"]);
    const bad = await api("PUT", "/v1/sites/s1/options/TServer", p.config, { "route-invalid-dest-action": "vacation" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("route-invalid-dest-action");
    expect(bad.body.error).toContain("none, notready, walkaway, logout");
    const badAnnex = await api("PUT", "/v1/sites/s1/dns/1001", p.config, { type: "Extension", annex: { TServer: { "route-invalid-dest-action": "later" } } });
    expect(badAnnex.status).toBe(400);
    expect(badAnnex.body.error).toContain("annex: option TServer/route-invalid-dest-action");
    expect((await api("PUT", "/v1/sites/s1/dns/1001", p.config, { type: "Extension", annex: { TServer: { "route-invalid-dest-action": "NotReady" } } })).status).toBe(201);
    expect((await api("PUT", "/v1/sites/s1/options/TServer", p.config, { "route-invalid-dest-action": "logout" })).status).toBe(200);
  });
});
