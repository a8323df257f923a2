// What an operator scrapes from a running agent: /healthz, /readyz and Prometheus /metrics on a local
// port, with counters that follow what the agent really did.
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.js";
import { type LinkAgent, startLinkAgent } from "../src/agent.js";
import { type Observability, startObservability } from "../src/http.js";
import { FakeControlPlane } from "./helpers/fake-control-plane.js";
import { FakeSwitch } from "./helpers/fake-switch.js";
import { call, phones } from "./helpers/jtapi.js";
import { capturedLog } from "./helpers/logs.js";
import { until } from "./helpers/wait.js";

let cp: FakeControlPlane | undefined;
let sw: FakeSwitch | undefined;
let agent: LinkAgent | undefined;
let obs: Observability | undefined;
afterEach(async () => {
  await obs?.close();
  await agent?.stop();
  await Promise.all([cp?.close(), sw?.close()]);
  agent = cp = sw = obs = undefined;
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${obs!.port}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};
/** One sample's value from the exposition text, or undefined. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("link agent health and metrics", () => {
  it("answers live but not ready while the control plane cannot be reached", async () => {
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001"), calls: [] };
    agent = startLinkAgent(parseConfig({
      site: "site-a", agentId: "site-a-primary", controlPlane: { url: "http://127.0.0.1:1", linkKey: "demo.k1.link-secret" },
      links: [{ name: "link-1", host: "127.0.0.1", port: sw.port, user: "tserver", password: "secret" }], optionsWaitMs: 60_000,
    }), { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
    obs = await startObservability(agent, { host: "127.0.0.1", port: 0, site: "site-a", agentId: "site-a-primary" });
    const notReady = await get("/readyz");
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text)).toMatchObject({ status: "degraded", program: "link-agent", site: "site-a", agentId: "site-a-primary", uplink: { connected: false }, links: [] });
    const live = await get("/healthz");
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text)).toMatchObject({ status: "degraded", uplink: { connected: false } });
    const m = (await get("/metrics")).text;
    expect(sample(m, "tserver_link_agent_uplink_connected")).toBe(0);
  });

  it("reports ready with the uplink and the link up, then counts events, commands and reconnects", async () => {
    cp = await FakeControlPlane.create();
    sw = await FakeSwitch.start();
    sw.snapshot = { addresses: phones("1001", "1002"), calls: [] };
    const c = call("c1", "1001", "1002", ["1001", "1002"]);
    sw.answers.makeCall = () => ({ ok: true, result: { callId: "c1" } });
    sw.eventsAfter.makeCall = () => [...c.placed("1001"), ...c.dials("1001"), ...c.rings("1002")];
    const config = parseConfig({
      site: "site-a", agentId: "site-a-primary", controlPlane: { url: cp.url, linkKey: "demo.k1.link-secret" },
      links: [{ name: "link-1", host: "127.0.0.1", port: sw.port, user: "tserver", password: "secret" }],
      batch: { maxEvents: 500, maxDelayMs: 1 }, optionsWaitMs: 5000,
    });
    expect(config.http).toEqual({ host: "127.0.0.1", port: 9464 });
    agent = startLinkAgent(config, { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
    obs = await startObservability(agent, { host: "127.0.0.1", port: 0, site: "site-a", agentId: "site-a-primary" });
    await until(() => cp!.appliedEvents.some((e) => e.kind === "snapshot"), "link up and snapshot");
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: "ok", uplink: { connected: true, active: true, buffered: 0 }, links: [{ name: "link-1", up: true, tls: false }] });

    cp.send({ t: "command", id: "m1", op: "makeCall", dn: "1001", otherDN: "1002" });
    await until(() => cp!.appliedEvents.some((e) => e.kind === "ringing"), "the call's events");
    await until(() => agent!.status().uplink.buffered === 0, "all acknowledged");
    const m = await get("/metrics");
    expect(m.status).toBe(200);
    expect(m.type).toContain("text/plain");
    const P = "tserver_link_agent_";
    expect(sample(m.text, `${P}events_in_total{kind="snapshot"}`)).toBe(1);
    expect(sample(m.text, `${P}events_in_total{kind="ringing"}`)).toBe(1);
    expect(sample(m.text, `${P}events_in_total{kind="result"}`)).toBe(1);
    expect(sample(m.text, `${P}events_acknowledged_total`)).toBe(cp.appliedEvents.length);
    expect(sample(m.text, `${P}uplink_buffered_events`)).toBe(0);
    expect(sample(m.text, `${P}uplink_connected`)).toBe(1);
    expect(sample(m.text, `${P}uplink_connects_total`)).toBe(1);
    expect(sample(m.text, `${P}link_up{link="link-1",tls="false"}`)).toBe(1);
    expect(sample(m.text, `${P}link_connects_total{link="link-1"}`)).toBe(1);
    expect(sample(m.text, `${P}command_duration_seconds_count{op="makeCall",ok="true"}`)).toBe(1);

    sw.dropAll();
    await until(() => cp!.appliedEvents.filter((e) => e.kind === "snapshot").length === 2, "the link back");
    const again = (await get("/metrics")).text;
    expect(sample(again, `${P}link_connects_total{link="link-1"}`)).toBe(2);
    expect(sample(again, `${P}link_downs_total{link="link-1"}`)).toBe(1);
    expect((await get("/nothing")).status).toBe(404);
  });
});
