// A CTI route point as Cisco documents it: RouteEvent to the route callback, routing by redirect of the
// offered connection (the call survives a refused destination), RouteEndEvent with
// RouteSession.CAUSE_ROUTING_TIMER_EXPIRED (101) and the default treatment when nobody routes in time.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JtapiEvent } from "../../../shared/switch-link.js";
import { parseConfig } from "../src/config.js";
import { Network } from "../src/model/network.js";

function cluster(routeSelectTimeoutMs = 5000, defaultDestination: string | null = "1004") {
  const config = JSON.parse(readFileSync(new URL("../config/demo.json", import.meta.url), "utf8"));
  const rp = config.clusters.find((c: { name: string }) => c.name === "site-a").devices.find((d: { dn: string }) => d.dn === "1500");
  rp.routeSelectTimeoutMs = routeSelectTimeoutMs;
  if (defaultDestination) rp.defaultDestination = defaultDestination;
  else delete rp.defaultDestination;
  const sw = new Network(parseConfig(config)).cluster("site-a")!;
  const events: JtapiEvent[] = [];
  sw.onBatch((b) => events.push(...b));
  const trail = () => events.map((e) => `${e.id}@${e.address ?? ""}${e.cause !== 100 ? `#${e.cause}` : ""}`);
  return { sw, events, trail };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a CTI route point", () => {
  it("offers the call and sends RouteEvent; a redirect routes it: the route point drops (210), RouteEndEvent, the destination rings", () => {
    const { sw, events, trail } = cluster();
    const call = sw.originate("1001", "1500", "cti");
    expect(trail().slice(-4)).toEqual(["ConnCreatedEv@1500", "ConnInProgressEv@1500", "CallCtlConnOfferedEv@1500", "RouteEvent@1500"]);
    events.length = 0;
    sw.redirect(call.id, "1500", "1002");
    expect(trail().slice(0, 5)).toEqual(["ConnDisconnectedEv@1500#210", "CallCtlConnDisconnectedEv@1500#210", "RouteEndEvent@1500", "ConnCreatedEv@1002", "ConnInProgressEv@1002"]);
    // the call keeps the number dialed as its called address (the DNIS)
    expect(events.find((e) => e.id === "CallCtlConnAlertingEv")).toMatchObject({ address: "1002", callingAddress: "1001", calledAddress: "1500", lastRedirectedAddress: "1500" });
  });

  it("a refused destination fails the request and leaves the call offered at the route point, to be routed again", () => {
    const { sw, events } = cluster();
    const call = sw.originate("1001", "1500", "cti");
    events.length = 0;
    expect(() => sw.redirect(call.id, "1500", "1999")).toThrow(/unallocated/);
    sw.setInService("1003", false);
    events.length = 0;
    expect(() => sw.redirect(call.id, "1500", "1003")).toThrow(expect.objectContaining({ exception: "InvalidPartyException" }));
    expect(events).toEqual([]);
    expect(sw.describe("1500")).toMatchObject({ calls: [{ state: "OFFERED" }] });
    sw.redirect(call.id, "1500", "1002");
    expect(sw.describe("1002")).toMatchObject({ calls: [{ state: "ALERTING" }] });
  });

  it("nobody routes in time: RouteEndEvent cause 101, then the default treatment forwards the call", async () => {
    const { sw, trail } = cluster(100);
    sw.originate("1001", "1500", "cti");
    await until(() => trail().includes("RouteEndEvent@1500#101"));
    const after = trail().slice(trail().indexOf("RouteEndEvent@1500#101"));
    expect(after.slice(0, 4)).toEqual(["RouteEndEvent@1500#101", "ConnDisconnectedEv@1500#210", "CallCtlConnDisconnectedEv@1500#210", "ConnCreatedEv@1004"]);
    expect(sw.describe("1004")).toMatchObject({ calls: [{ state: "ALERTING", callingAddress: "1001" }] });
  });

  it("nobody routes in time and there is no default destination: RouteEndEvent cause 101, the call is cleared", async () => {
    const { sw, trail } = cluster(100, null);
    sw.originate("1001", "1500", "cti");
    await until(() => trail().includes("CallInvalidEv@#103"));
    expect(trail().slice(trail().indexOf("RouteEndEvent@1500#101")).at(-1)).toBe("CallInvalidEv@#103");
    expect(sw.calls.size).toBe(0);
  });
});
