// Out of service with a live call, end to end: a CallManager node failure takes a DN out of service but
// keeps its call (JDG "Cisco UCM Server Failure"), and a CTIManager failover (the link drops, the agent
// reconnects and snapshots again, JDG p.216) finds the same call: same connID, no EventReleased and no
// second EventEstablished; the call then ends normally for both parties.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

describe("out of service with a live call", () => {
  it("node failure keeps the call; a CTIManager failover's snapshot keeps its connID; the call ends normally", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const connID = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging at 1002");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished at 1001");
    const mark = s.events.length;

    expect((await stack.simControl("POST", "/clusters/site-a/devices/1002/node-failure")).status).toBe(200);
    await s.waitFor((e) => e.event === "EventDNOutOfService" && e.thisDN === "1002", "EventDNOutOfService at 1002");
    const during = await s.request("site-a", { request: "RequestQueryAddress", thisDN: "1002" });
    expect(during.event).toMatchObject({ inService: false, calls: [{ connID, state: "established" }] });

    // the CTIManager fails over: the link drops, the agent reconnects and snapshots the same call
    expect((await stack.simControl("POST", "/clusters/site-a/links/drop")).body.dropped).toBeGreaterThan(0);
    await s.waitFor((e) => e.event === "EventLinkDisconnected", "EventLinkDisconnected");
    await waitForLink(stack.api, stack.keys.client, "site-a", true);
    await s.waitFor((e) => e.event === "EventLinkConnected", "EventLinkConnected");
    expect((await stack.simControl("POST", "/clusters/site-a/devices/1002/in-service")).status).toBe(200);
    await s.waitFor((e) => e.event === "EventDNBackInService" && e.thisDN === "1002" && s.events.indexOf(e) > s.events.findIndex((x) => x.event === "EventLinkConnected"), "1002 back in service");
    expect(s.events.slice(mark).some((e) => e.connID === connID && (e.event === "EventReleased" || e.event === "EventEstablished"))).toBe(false);

    const released = await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1001", connID });
    expect(released.event).toMatchObject({ event: "EventReleased", thisDN: "1001", connID, callState: 0 });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002" && e.connID === connID, "EventReleased at 1002");
    await s.close();
  });
});
