// End to end over real sockets: simulated clusters, link agents as child processes, the real worker
// in workerd, and clients on undici. Asserts what a T-Server client sees, exactly and in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const attrs = (e: Record<string, unknown>) => ({ event: e.event, thisDN: e.thisDN, otherDN: e.otherDN, thisDNRole: e.thisDNRole, otherDNRole: e.otherDNRole, callType: e.callType });

describe("a basic call, end to end", () => {
  it("1001 calls 1002 on site-a: dialing, ringing, established on both, held, retrieved, released; seq from 1; replay after reconnect", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");

    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    expect(made.status).toBe(200);
    expect(made.event).toMatchObject({ event: "EventDialing", thisDN: "1001", otherDN: "1002", thisDNRole: 1, referenceID: 3 });
    const connID = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging", "EventRinging on 1002");

    const answered = await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID });
    expect(answered.event).toMatchObject({ event: "EventEstablished", thisDN: "1002", connID });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished on 1001");
    expect((await s.request("site-a", { request: "RequestHoldCall", thisDN: "1001", connID })).event.event).toBe("EventHeld");
    expect((await s.request("site-a", { request: "RequestRetrieveCall", thisDN: "1001", connID })).event.event).toBe("EventRetrieved");
    // the person at 1002 hangs up
    expect((await stack.simControl("POST", "/clusters/site-a/devices/1002/hangup")).status).toBe(200);
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001", "EventReleased on 1001");

    expect(s.events.map(attrs)).toEqual([
      { event: "EventRegistered", thisDN: "1001" },
      { event: "EventRegistered", thisDN: "1002" },
      { event: "EventDialing", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1 },
      { event: "EventRinging", thisDN: "1002", otherDN: "1001", thisDNRole: 2, otherDNRole: 1, callType: 1 },
      { event: "EventEstablished", thisDN: "1002", otherDN: "1001", thisDNRole: 2, otherDNRole: 1, callType: 1 },
      { event: "EventEstablished", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1 },
      { event: "EventHeld", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1 },
      { event: "EventRetrieved", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1 },
      { event: "EventReleased", thisDN: "1002", otherDN: "1001", thisDNRole: 2, otherDNRole: 1, callType: 1 },
      { event: "EventReleased", thisDN: "1001", otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1 },
    ]);
    expect(s.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(s.events.slice(2).map((e) => e.connID))).toEqual(new Set([connID]));
    expect(connID).toMatch(/^[0-9a-f]{16}$/);
    expect(s.events.every((e) => e.site === "site-a" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time!))).toBe(true);
    // the answering events carry their request's referenceID
    expect(s.events.filter((e) => e.referenceID).map((e) => [e.event, e.referenceID])).toEqual([
      ["EventRegistered", 1], ["EventRegistered", 2], ["EventDialing", 3], ["EventEstablished", 4], ["EventHeld", 5], ["EventRetrieved", 6],
    ]);

    // a reconnect with `after` replays exactly the missed events
    s.ws.close();
    await new Promise((r) => setTimeout(r, 100));
    await stack.simControl("POST", "/clusters/site-a/devices/1002/offhook", { dial: "1001" });
    const replay = new ClientSession_replay(s);
    await s.connect(6);
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1001" && (e.seq ?? 0) > 10, "EventRinging on 1001 after the reconnect");
    expect(replay.fresh().map((e) => [e.seq, e.event, e.thisDN])).toEqual([
      [7, "EventHeld", "1001"], [8, "EventRetrieved", "1001"], [9, "EventReleased", "1002"], [10, "EventReleased", "1001"],
      [11, "EventDialing", "1002"], [12, "EventRinging", "1001"],
    ]);
    await stack.simControl("POST", "/clusters/site-a/devices/1002/hangup");
    await s.close();
  });

  it("a call from site-a to site-b is seen on both sites' DNs", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1003");
    await s.register("site-b", "2003");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1003", otherDN: "2003" });
    expect(made.event).toMatchObject({ event: "EventDialing", thisDN: "1003", otherDN: "2003", callType: 3 });
    const ringing = await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "2003", "EventRinging on 2003");
    expect(ringing).toMatchObject({ site: "site-b", otherDN: "1003", thisDNRole: 2, callType: 2 });
    expect((await s.request("site-b", { request: "RequestAnswerCall", thisDN: "2003" })).event).toMatchObject({ event: "EventEstablished", site: "site-b" });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1003", "EventEstablished on 1003");
    expect((await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1003" })).event.event).toBe("EventReleased");
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "2003", "EventReleased on 2003");
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1003", "EventReleased on 1003");
    // each site keeps its own order; the two sites' streams interleave as the trunk carries them
    expect(s.trail("1003")).toEqual([["EventRegistered", "1003"], ["EventDialing", "1003"], ["EventEstablished", "1003"], ["EventReleased", "1003"]]);
    expect(s.trail("2003")).toEqual([["EventRegistered", "2003"], ["EventRinging", "2003"], ["EventEstablished", "2003"], ["EventReleased", "2003"]]);
    expect(s.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // each site numbers its own half of the call
    expect(s.events[2]!.connID).not.toBe(s.events[3]!.connID);
    await s.close();
  });

  it("losing the link agent during a call: link disconnected and DNs out of service; back: link connected and the switch's state again", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1004");
    await stack.simControl("POST", "/clusters/site-a/devices/1004/offhook", { dial: "1001" });
    await stack.simControl("POST", "/clusters/site-a/devices/1001/answer");
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1004", "EventEstablished on 1004");
    const before = s.events.length;

    await stack.agents["site-a"]!.stop("SIGKILL");
    await s.waitFor((e) => e.event === "EventDNOutOfService", "EventDNOutOfService");
    expect(s.events.slice(before).map((e) => [e.event, e.thisDN])).toEqual([["EventLinkDisconnected", undefined], ["EventDNOutOfService", "1004"]]);
    expect((await s.request("site-a", { request: "RequestHoldCall", thisDN: "1004" })).event.errorCode).toBe(54);

    // meanwhile the people hang up
    await stack.simControl("POST", "/clusters/site-a/devices/1001/hangup");
    await stack.startAgent("site-a");
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1004", "EventReleased on 1004 after the resync");
    expect(s.events.slice(before + 2).map((e) => [e.event, e.thisDN])).toEqual([
      ["EventError", "1004"], // the hold refused while the link was down
      ["EventLinkConnected", undefined], ["EventDNBackInService", "1004"], ["EventReleased", "1004"],
    ]);
    const query = await s.request("site-a", { request: "RequestQueryAddress", thisDN: "1004" });
    expect(query.event).toMatchObject({ event: "EventAddressInfo", addressStatus: 0, inService: true, calls: [] });
    await s.close();
  });

  it("a phone unplugged and plugged back in: out of service, then back in service", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-b", "2004");
    await stack.simControl("POST", "/clusters/site-b/devices/2004/out-of-service");
    await s.waitFor((e) => e.event === "EventDNOutOfService", "EventDNOutOfService");
    expect((await s.request("site-b", { request: "RequestMakeCall", thisDN: "2004", otherDN: "2001" })).event.errorCode).toBe(58);
    await stack.simControl("POST", "/clusters/site-b/devices/2004/in-service");
    await s.waitFor((e) => e.event === "EventDNBackInService", "EventDNBackInService");
    expect(s.trail()).toEqual([["EventRegistered", "2004"], ["EventDNOutOfService", "2004"], ["EventError", "2004"], ["EventDNBackInService", "2004"]]);
    await s.close();
  });
});

describe("bad input end to end", () => {
  it("answers with clear errors, never a 500, and keeps tenants apart", async () => {
    const s = await ClientSession.open(stack.client());
    const bad = await fetch(`${stack.api}/v1/sites/site-a/requests`, { method: "POST", headers: { authorization: `Bearer ${stack.keys.client}`, "content-type": "application/json" }, body: "{nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).event).toMatchObject({ event: "EventError", errorCode: 53 });
    expect((await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1001" })).event.errorCode).toBe(41);
    expect((await s.request("site-a", { request: "RequestRegisterAddress", thisDN: "5555" })).event.errorCode).toBe(59);
    await s.register("site-a", "1002");
    const wrongConn = await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1002", connID: "00000000000000aa" });
    expect([wrongConn.status, wrongConn.event.errorCode]).toEqual([422, 56]);
    const unknownSite = await fetch(`${stack.api}/v1/sites/site-z/requests`, { method: "POST", headers: { authorization: `Bearer ${stack.keys.client}` }, body: "{}" });
    expect(unknownSite.status).toBe(404);
    await waitForLink(stack.api, stack.keys.client, "site-a", true);
    await s.close();
  });
});

/** Remembers how many events a session had, to read what arrived after a reconnect. */
class ClientSession_replay {
  private readonly mark: number;
  constructor(private readonly s: ClientSession) {
    this.mark = s.events.length;
  }
  fresh() {
    return this.s.events.slice(this.mark);
  }
}
