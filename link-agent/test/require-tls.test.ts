// The agent-local TLS switch (issue 12): the JTAPI password and the link key never travel in clear
// beyond this host, whatever the control plane's options say.
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig, tlsRequired } from "../src/config.js";
import { type LinkAgent, startLinkAgent } from "../src/agent.js";
import { FakeControlPlane } from "./helpers/fake-control-plane.js";
import { FakeSwitch } from "./helpers/fake-switch.js";
import { capturedLog } from "./helpers/logs.js";
import { until } from "./helpers/wait.js";

const base = { site: "site-a", agentId: "a1", controlPlane: { url: "https://tserver.example.com", linkKey: "k" }, links: [{ name: "link-1", host: "cucm.example.com", port: 2748, user: "u", password: "p" }] };

let cp: FakeControlPlane | undefined;
let sw: FakeSwitch | undefined;
let agent: LinkAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  await Promise.all([cp?.close(), sw?.close()]);
  agent = cp = sw = undefined;
});

describe("requireTls and the uplink URL", () => {
  it("refuses http:// and ws:// control planes except on a loopback address", () => {
    for (const url of ["http://tserver.example.com", "ws://10.0.0.5:8787"]) {
      expect(() => parseConfig({ ...base, controlPlane: { url, linkKey: "k" } })).toThrow(/controlPlane\.url: https:\/\/ \(wss:\/\/\): http:\/\/ and ws:\/\/ are accepted only to a loopback address/);
    }
    for (const url of ["http://127.0.0.1:8787", "ws://localhost:8787", "http://[::1]:8787", "https://tserver.example.com", "wss://tserver.example.com/tserver"]) {
      expect(parseConfig({ ...base, controlPlane: { url, linkKey: "k" } }).controlPlane.url).toBe(url);
    }
  });

  it("requires TLS towards any switch host but a loopback one by default; true and false decide for every link", () => {
    const c = parseConfig({ ...base, links: [...base.links, { name: "link-2", host: "127.0.0.1", port: 2748, user: "u", password: "p" }] });
    expect(c.requireTls).toBe("auto");
    expect(c.links.map((l) => tlsRequired(c, l))).toEqual([true, false]);
    const always = parseConfig({ ...c, requireTls: true });
    expect(always.links.map((l) => tlsRequired(always, l))).toEqual([true, true]);
    const never = parseConfig({ ...c, requireTls: false });
    expect(never.links.map((l) => tlsRequired(never, l))).toEqual([false, false]);
  });

  it("a link that must run over TLS but has no TLS options does not connect (the password stays home)", async () => {
    cp = await FakeControlPlane.create();
    sw = await FakeSwitch.start();
    const { log, lines } = capturedLog();
    const config = parseConfig({ ...base, controlPlane: { url: cp.url, linkKey: "demo.k1.link-secret" }, requireTls: true, optionsWaitMs: 0, links: [{ name: "link-1", host: "127.0.0.1", port: sw.port, user: "u", password: "jtapi-secret" }] });
    agent = startLinkAgent(config, { log, backoff: { minMs: 20, maxMs: 50 } });
    await agent.linksReady;
    await until(() => lines.some((l) => l.msg.startsWith("link-1 not connected: TLS towards 127.0.0.1 is required")), "the refusal");
    expect(sw.connections).toHaveLength(0);
    expect(agent.status().links).toEqual([]);
  });
});
