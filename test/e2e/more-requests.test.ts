// RequestClearCall, RequestMuteTransfer, RequestSingleStepConference and RequestQueryCall end to end:
// CallControlCall.drop(), CallControlCall.transfer(String) and CallControlCall.addParty(String) on the
// simulated cluster, and EventPartyInfo from the DN's own view of its call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

async function answeredCall(s: ClientSession, from: string, to: string): Promise<string> {
  const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: from, otherDN: to });
  const connID = made.event.connID!;
  await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === to && e.connID === connID, `EventRinging at ${to}`);
  await s.request("site-a", { request: "RequestAnswerCall", thisDN: to, connID });
  await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === from && e.connID === connID, `EventEstablished at ${from}`);
  return connID;
}
const view = (s: ClientSession, mark: number) => s.events.slice(mark).map((e) => [e.event, e.thisDN, e.otherDN, e.callState, e.thirdPartyDN]);

describe("more call requests", () => {
  it("RequestClearCall releases every party of the call", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    const connID = await answeredCall(s, "1001", "1002");
    const mark = s.events.length;
    const cleared = await s.request("site-a", { request: "RequestClearCall", thisDN: "1002", connID });
    expect(cleared.event).toMatchObject({ event: "EventReleased", thisDN: "1002", connID, callState: 0 });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001", "EventReleased at 1001");
    expect(view(s, mark)).toEqual([["EventReleased", "1002", "1001", 0, undefined], ["EventReleased", "1001", "1002", 0, undefined]]);
    expect((await s.request("site-a", { request: "RequestClearCall", thisDN: "1001", connID })).event.errorCode).toBe(56);
    await s.close();
  });

  it("RequestMuteTransfer is the switch's blind transfer: Released (Transferred), the destination rings, PartyChanged", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1004");
    const connID = await answeredCall(s, "1001", "1002");
    const mark = s.events.length;
    const moved = await s.request("site-a", { request: "RequestMuteTransfer", thisDN: "1002", connID, otherDN: "1004" });
    expect(moved.event).toMatchObject({ event: "EventReleased", thisDN: "1002", connID, callState: 1 });
    await s.waitFor((e) => e.event === "EventPartyChanged" && e.thisDN === "1001", "EventPartyChanged at 1001");
    expect(view(s, mark)).toEqual([["EventReleased", "1002", "1001", 1, undefined], ["EventRinging", "1004", "1001", undefined, undefined], ["EventPartyChanged", "1001", "1004", undefined, "1002"]]);
    await stack.simControl("POST", "/clusters/site-a/devices/1001/hangup");
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1004", "EventReleased at 1004");
    await s.close();
  });

  it("RequestSingleStepConference adds a party (CallControlCall.addParty): EventPartyAdded for the parties, the new party rings and joins", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1003");
    const connID = await answeredCall(s, "1001", "1002");
    const mark = s.events.length;
    const added = await s.request("site-a", { request: "RequestSingleStepConference", thisDN: "1002", connID, otherDN: "1003" });
    expect(added.event).toMatchObject({ event: "EventPartyAdded", thisDN: "1002", connID, otherDN: "1003", thisDNRole: 3, thirdPartyDN: "1002" });
    await s.waitFor((e) => e.event === "EventPartyAdded" && e.thisDN === "1001", "EventPartyAdded at 1001");
    expect(view(s, mark)).toEqual([["EventRinging", "1003", "1001", undefined, undefined], ["EventPartyAdded", "1001", "1003", undefined, "1002"], ["EventPartyAdded", "1002", "1003", undefined, "1002"]]);
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID });
    const q = await s.request("site-a", { request: "RequestQueryAddress", thisDN: "1003" });
    expect(q.event).toMatchObject({ addressStatus: 3 });
    expect((await s.request("site-a", { request: "RequestSingleStepConference", thisDN: "1001", connID, otherDN: "7777" })).event.errorCode).toBe(177);
    await s.request("site-a", { request: "RequestClearCall", thisDN: "1001", connID });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1003", "EventReleased at 1003");
    await s.close();
  });

  it("RequestQueryCall answers EventPartyInfo from the DN's view of the call", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    const connID = await answeredCall(s, "1001", "1002");
    await s.request("site-a", { request: "RequestAttachUserData", thisDN: "1001", connID, userData: { account: "42" } });
    const info = await s.request("site-a", { request: "RequestQueryCall", thisDN: "1001", connID });
    expect(info.event).toMatchObject({ event: "EventPartyInfo", thisDN: "1001", connID, otherDN: "1002", thisDNRole: 1, otherDNRole: 2, callType: 1, callState: 0, userData: { account: "42" } });
    expect((await s.request("site-a", { request: "RequestQueryCall", thisDN: "1001", connID: "0123456789abcdef" })).event.errorCode).toBe(56);
    await s.request("site-a", { request: "RequestClearCall", thisDN: "1001", connID });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002", "EventReleased at 1002");
    await s.close();
  });
});
