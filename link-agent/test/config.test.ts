// The agent's configuration: the file, environment overrides, defaults, and refusals that name the field.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEnv, loadConfig, parseConfig } from "../src/config.js";

const base = { site: "site-a", agentId: "a1", controlPlane: { url: "http://127.0.0.1:8787", linkKey: "k" }, links: [{ name: "link-1", host: "h", port: 2748, user: "u", password: "p" }] };

describe("link agent config", () => {
  it("fills the defaults", () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ role: "primary", batch: { maxEvents: 500, maxDelayMs: 5 }, buffer: { maxEvents: 100_000 }, log: { level: "info" } });
  });

  it("takes secrets and links from the environment over the file", () => {
    const c = parseConfig(applyEnv(base, {
      TSERVER_LINK_KEY: "from-env", LINK_1_PASSWORD: "envpw", LINK_2_HOST: "h2", LINK_2_PORT: "2748", LINK_2_TLS_PORT: "2749", LINK_2_USER: "u2", LINK_2_PASSWORD: "p2",
      LINK_2_TLS_INSTANCE_ID: "inst-2", LINK_2_TLS_AUTH_CODE: "code-2", LINK_TLS_PASSWORD: "ks-pass", LOG_LEVEL: "debug",
      LINK_AGENT_ID: "site-a-backup", LINK_AGENT_ROLE: "backup", LINK_AGENT_SITE: "site-b", TSERVER_URL: "https://tserver.example.com",
    }));
    expect(c.controlPlane).toEqual({ url: "https://tserver.example.com", linkKey: "from-env" });
    expect([c.agentId, c.role, c.site]).toEqual(["site-a-backup", "backup", "site-b"]);
    expect(c.links).toEqual([
      { name: "link-1", host: "h", port: 2748, tlsPort: 2749, user: "u", password: "envpw", options: {} },
      { name: "link-2", host: "h2", port: 2748, tlsPort: 2749, user: "u2", password: "p2", options: { "tls-instance-id": "inst-2", "tls-auth-code": "code-2" } },
    ]);
    expect(c.linkTls).toEqual({ password: "ks-pass" });
    expect(c.log.level).toBe("debug");
  });

  it("orders links named only in the environment by number (the first link that lists a DN serves it)", () => {
    const link = (n: number) => ({ [`LINK_${n}_HOST`]: `h${n}`, [`LINK_${n}_PORT`]: "2748", [`LINK_${n}_USER`]: "u", [`LINK_${n}_PASSWORD`]: "p" });
    const c = parseConfig(applyEnv({ ...base, links: [] }, { ...link(10), ...link(2), ...link(1) }));
    expect(c.links.map((l) => l.name)).toEqual(["link-1", "link-2", "link-10"]);
  });

  it("names every bad field", () => {
    expect(() => parseConfig({ ...base, links: [{ ...base.links[0], port: "x" }] })).toThrow(/links\.0\.port/);
    expect(() => parseConfig({ ...base, controlPlane: { url: "nope", linkKey: "k" } })).toThrow(/controlPlane\.url/);
    expect(() => parseConfig({ ...base, controlPlane: { url: "ftp://x", linkKey: "k" } })).toThrow(/controlPlane\.url: an http\(s\):\/\/ or ws\(s\):\/\/ URL/);
    expect(() => parseConfig({ ...base, links: [base.links[0], base.links[0]] })).toThrow(/link-1 is configured twice/);
    expect(() => parseConfig(applyEnv(base, { LINK_1_PORT: "seventy" }))).toThrow(/links\.0\.port/);
    expect(() => parseConfig({ ...base, role: "spare", batch: { maxEvents: 0 } })).toThrow(/role: .*; batch\.maxEvents: /);
    expect(() => parseConfig({ ...base, colour: "blue" })).toThrow(/colour/);
  });

  it("refuses a file that is not one JSON object, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "link-agent-config-"));
    writeFileSync(join(dir, "bad.json"), "[1, 2]");
    writeFileSync(join(dir, "broken.json"), "{ site: ");
    expect(() => loadConfig(join(dir, "bad.json"), {})).toThrow(/bad\.json: the file must hold one JSON object/);
    expect(() => loadConfig(join(dir, "broken.json"), {})).toThrow(/broken\.json: /);
    expect(() => loadConfig(join(dir, "missing.json"), {})).toThrow(/missing\.json: ENOENT/);
  });
});
