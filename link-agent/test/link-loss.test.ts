// Losing one of several switch links (issue 12): exactly the DNs that link carried go out of service,
// and a second link whose snapshot lists them serves them from then on.
import { afterEach, describe, expect, it } from "vitest";
import type { SwitchEvent } from "../../shared/uplink.js";
import { parseConfig } from "../src/config.js";
import { type LinkAgent, startLinkAgent } from "../src/agent.js";
import { FakeControlPlane } from "./helpers/fake-control-plane.js";
import { FakeSwitch } from "./helpers/fake-switch.js";
import { phones } from "./helpers/jtapi.js";
import { capturedLog } from "./helpers/logs.js";
import { until } from "./helpers/wait.js";

let cp: FakeControlPlane | undefined;
let switches: FakeSwitch[] = [];
let agent: LinkAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  await Promise.all([cp?.close(), ...switches.map((s) => s.close())]);
  agent = cp = undefined;
  switches = [];
});

async function twoLinks(first: string[], second: string[]) {
  cp = await FakeControlPlane.create();
  const [a, b] = [await FakeSwitch.start(), await FakeSwitch.start()];
  switches = [a, b];
  a.snapshot = { addresses: phones(...first), calls: [] };
  b.snapshot = { addresses: phones(...second), calls: [] };
  const config = parseConfig({
    site: "site-a", agentId: "site-a-primary", controlPlane: { url: cp.url, linkKey: "demo.k1.link-secret" },
    links: [
      { name: "link-1", host: "127.0.0.1", port: a.port, user: "tserver", password: "secret" },
      { name: "link-2", host: "127.0.0.1", port: b.port, user: "tserver", password: "secret" },
    ],
    batch: { maxEvents: 500, maxDelayMs: 1 }, optionsWaitMs: 5000,
  });
  // link-1 first, so that it owns the DNs both list
  a.welcome = true;
  b.welcome = false;
  agent = startLinkAgent(config, { log: capturedLog().log, backoff: { minMs: 20, maxMs: 50 } });
  await until(() => cp!.appliedEvents.some((e) => e.kind === "snapshot"), "link-1's snapshot");
  b.welcome = true;
  b.dropAll();
  await until(() => cp!.appliedEvents.filter((e) => e.kind === "snapshot").length === 2, "link-2's snapshot");
  return { a, b };
}

const after = (from: number) => cp!.appliedEvents.slice(from).map((e: SwitchEvent) =>
  e.kind === "link" ? `link ${e.link} ${e.up}` : e.kind === "snapshot" ? `snapshot ${e.dns.map((d) => d.dn).join(",")}` : e.kind === "service" ? `service ${e.dn} ${e.inService}` : e.kind);

describe("one of several links goes down", () => {
  it("takes exactly the DNs it carried out of service", async () => {
    const { a } = await twoLinks(["1001", "1002"], ["1003"]);
    const mark = cp!.appliedEvents.length;
    a.welcome = false; // it stays down
    a.dropAll();
    await until(() => cp!.appliedEvents.slice(mark).some((e) => e.kind === "link"), "link-1 down");
    await until(() => after(mark).includes("snapshot 1003"), "link-2 asked for a snapshot");
    expect(after(mark)).toEqual(["service 1001 false", "service 1002 false", "link link-1 false", "snapshot 1003"]);
    expect(cp!.appliedEvents.find((e) => e.kind === "service")).toMatchObject({ oosCause: 1007 });
  });

  it("a second link that lists the same DNs serves them from its next snapshot (redundancy)", async () => {
    const { a } = await twoLinks(["1001", "1002"], ["1001", "1002", "1003"]);
    const mark = cp!.appliedEvents.length;
    a.welcome = false;
    a.dropAll();
    await until(() => after(mark).some((e) => e.startsWith("snapshot")), "link-2's snapshot");
    expect(after(mark)).toEqual(["service 1001 false", "service 1002 false", "link link-1 false", "snapshot 1001,1002,1003"]);
  });
});
