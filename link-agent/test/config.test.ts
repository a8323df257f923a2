import { describe, expect, it } from "vitest";
import { applyEnv, parseConfig } from "../src/config.js";

const base = { site: "site-a", agentId: "a1", controlPlane: { url: "http://127.0.0.1:8787", linkKey: "k" }, links: [{ name: "link-1", host: "h", port: 2748, user: "u", password: "p" }] };

describe("link agent config", () => {
  it("takes secrets and links from the environment over the file", () => {
    const c = parseConfig(applyEnv(base, {
      TSERVER_LINK_KEY: "from-env", LINK_1_PASSWORD: "envpw", LINK_2_HOST: "h2", LINK_2_PORT: "2748", LINK_2_TLS_PORT: "2749", LINK_2_USER: "u2", LINK_2_PASSWORD: "p2",
      LINK_2_TLS_INSTANCE_ID: "inst-2", LINK_2_TLS_AUTH_CODE: "code-2", LINK_TLS_PASSWORD: "ks-pass", LOG_LEVEL: "debug",
    }));
    expect(c.controlPlane.linkKey).toBe("from-env");
    expect(c.links).toEqual([
      { name: "link-1", host: "h", port: 2748, tlsPort: 2749, user: "u", password: "envpw", options: {} },
      { name: "link-2", host: "h2", port: 2748, tlsPort: 2749, user: "u2", password: "p2", options: { "tls-instance-id": "inst-2", "tls-auth-code": "code-2" } },
    ]);
    expect(c.linkTls).toEqual({ password: "ks-pass" });
    expect(c.batch).toEqual({ maxEvents: 500, maxDelayMs: 5 });
    expect(c.log.level).toBe("debug");
  });

  it("names the bad field", () => {
    expect(() => parseConfig({ ...base, links: [{ ...base.links[0], port: "x" }] })).toThrow(/links\.0\.port/);
    expect(() => parseConfig({ ...base, controlPlane: { url: "nope", linkKey: "k" } })).toThrow(/controlPlane\.url/);
    expect(() => parseConfig({ ...base, links: [base.links[0], base.links[0]] })).toThrow(/link-1 is configured twice/);
  });
});
