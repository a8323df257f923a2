// Issue 10 point 6: a CTIManager restart (the simulator's links/drop: the link drops, the agent reconnects
// and snapshots again, JDG p.216) keeps the surviving call's connID and user data: no EventReleased +
// EventEstablished pair for a call that never ended; an extended remote terminal comes back extended
// (JTAPI re-sets its remote destination by itself, JDG p.923).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const EXT_1 = { REMOTE_DEST: "0611000001", REMOTE_NAME: "mobile-1801" };

describe("CTIManager restart", () => {
  it("keeps a live call's connID and user data, and the remote terminal's extension and owner", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    await s.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: EXT_1 });
    await s.waitFor((e) => e.event === "EventDNBackInService" && e.thisDN === "1801", "1801 extended");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const connID = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging at 1002");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished at 1001");
    const attached = await s.request("site-a", { request: "RequestAttachUserData", thisDN: "1001", connID, userData: { case: "A-17", vip: true } });
    expect(attached.event).toMatchObject({ event: "EventAttachedDataChanged", connID, userData: { case: "A-17", vip: true } });
    const mark = s.events.length;

    expect((await stack.simControl("POST", "/clusters/site-a/links/drop")).body.dropped).toBeGreaterThan(0);
    await s.waitFor((e) => s.events.indexOf(e) >= mark && e.event === "EventLinkDisconnected", "EventLinkDisconnected");
    await waitForLink(stack.api, stack.keys.client, "site-a", true);
    await s.waitFor((e) => s.events.indexOf(e) >= mark && e.event === "EventDNBackInService" && e.thisDN === "1801", "1801 back in service after the restart");
    // the call never ended: no EventReleased and no second EventEstablished for it
    expect(s.events.slice(mark).filter((e) => e.connID === connID)).toEqual([]);
    const query = await s.request("site-a", { request: "RequestQueryAddress", thisDN: "1001" });
    expect(query.event).toMatchObject({ inService: true, calls: [{ connID, state: "established" }] });

    const released = await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1001", connID });
    expect(released.event).toMatchObject({ event: "EventReleased", thisDN: "1001", connID, userData: { case: "A-17", vip: true } });
    expect(await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002", "EventReleased at 1002")).toMatchObject({ connID, userData: { case: "A-17", vip: true } });
    // the extension came back with the same owner: the remote terminal went out of service and back with its extensions
    const rt = s.events.slice(mark).filter((e) => e.thisDN === "1801").map((e) => [e.event, e.extensions ?? null]);
    expect(rt).toEqual([["EventDNOutOfService", null], ["EventDNBackInService", EXT_1]]);
    expect((await s.request("site-a", { request: "RequestUnregisterAddress", thisDN: "1801" })).event.event).toBe("EventUnregistered");
    await s.close();
  });
});
