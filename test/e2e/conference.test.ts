// Conference end to end: consult, complete (everyone hears EventPartyAdded), drop a party
// (EventPartyDeleted for the others, EventReleased for it), and the call goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const view = (e: TEvent) => [e.event, e.thisDN, e.otherDN, e.connID === undefined ? undefined : e.connID.slice(0, 4), e.thirdPartyDN, e.callState];

describe("conference", () => {
  it("InitiateConference, CompleteConference, DeleteFromConference", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1003");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const original = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging", "ringing");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID: original });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "established");

    const consult = await s.request("site-a", { request: "RequestInitiateConference", thisDN: "1001", connID: original, otherDN: "1003" });
    expect(consult.event).toMatchObject({ event: "EventDialing", callType: 4, transferConnID: original });
    const c = consult.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "ringing at 1003");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID: c });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001" && e.connID === c, "consult established");
    const mark = s.events.length;

    const completed = await s.request("site-a", { request: "RequestCompleteConference", thisDN: "1001", connID: original, transferConnID: c });
    expect(completed.status).toBe(200);
    expect(completed.event).toMatchObject({ event: "EventPartyAdded", thisDN: "1001", otherDN: "1003", connID: original, thisDNRole: 3, otherDNRole: 4 });
    await s.waitFor((e) => e.event === "EventPartyAdded" && e.thisDN === "1002", "EventPartyAdded at 1002");
    const o = original.slice(0, 4);
    const k = c.slice(0, 4);
    await s.waitFor((e) => e.event === "EventPartyAdded" && e.thisDN === "1003", "EventPartyAdded at 1003");
    // Cisco's order (the consulted party appears in the final call before the consult call is cleared)
    expect(s.events.slice(mark).map(view)).toEqual([
      ["EventRetrieved", "1001", "1002", o, undefined, undefined],
      ["EventPartyChanged", "1003", "1001", o, "1001", undefined],
      ["EventReleased", "1001", "1003", k, undefined, 2],
      ["EventPartyAdded", "1001", "1003", o, "1001", undefined],
      ["EventPartyAdded", "1002", "1003", o, "1001", undefined],
      ["EventPartyAdded", "1003", "1002", o, "1001", undefined],
    ]);
    // roles as docs/client-api.md says them: the consulted party was ConferencedBy (9) the conferencing DN; everyone is a ConferenceMember (3)
    const roles = s.events.slice(mark).filter((e) => e.event === "EventPartyChanged" || e.event === "EventPartyAdded").map((e) => [e.event, e.thisDN, e.thisDNRole, e.thirdPartyDNRole]);
    expect(roles).toEqual([["EventPartyChanged", "1003", 2, 9], ["EventPartyAdded", "1001", 3, 5], ["EventPartyAdded", "1002", 3, 5], ["EventPartyAdded", "1003", 3, 5]]);

    const mark2 = s.events.length;
    const dropped = await s.request("site-a", { request: "RequestDeleteFromConference", thisDN: "1001", connID: original, otherDN: "1003" });
    expect(dropped.event).toMatchObject({ event: "EventPartyDeleted", thisDN: "1001", otherDN: "1003", connID: original });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1003", "EventReleased at 1003");
    expect(s.events.slice(mark2).map(view)).toEqual([
      ["EventPartyDeleted", "1001", "1003", o, undefined, undefined],
      ["EventPartyDeleted", "1002", "1003", o, undefined, undefined],
      ["EventReleased", "1003", "1001", o, undefined, 0],
    ]);
    // 1001 and 1002 still talk
    const q = await s.request("site-a", { request: "RequestQueryAddress", thisDN: "1002" });
    expect(q.event).toMatchObject({ addressStatus: 3 });
    await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1002", connID: original });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001", "released at 1001");
    await s.close();
  });
});
