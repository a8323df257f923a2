// Transfers end to end: the consult call's Dialing/Ringing/Established, then Released on the
// transferring DN and PartyChanged on the remaining parties with the original connID.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const view = (e: TEvent) => ({
  event: e.event, thisDN: e.thisDN, otherDN: e.otherDN, connID: e.connID,
  ...(e.previousConnID ? { previousConnID: e.previousConnID } : {}), ...(e.transferConnID ? { transferConnID: e.transferConnID } : {}),
  ...(e.thirdPartyDN ? { thirdPartyDN: e.thirdPartyDN } : {}), ...(e.callState !== undefined ? { callState: e.callState } : {}),
  ...(e.callType === 4 ? { callType: 4 } : {}),
});

async function answeredCall(s: ClientSession, from: string, to: string): Promise<string> {
  const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: from, otherDN: to });
  const connID = made.event.connID!;
  await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === to, `EventRinging at ${to}`);
  expect((await s.request("site-a", { request: "RequestAnswerCall", thisDN: to, connID })).event.event).toBe("EventEstablished");
  await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === from, `EventEstablished at ${from}`);
  return connID;
}

describe("transfer", () => {
  it("two-step: InitiateTransfer, the consult is answered, CompleteTransfer", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1003");
    const original = await answeredCall(s, "1001", "1002");
    const mark = s.events.length;

    const initiated = await s.request("site-a", { request: "RequestInitiateTransfer", thisDN: "1002", connID: original, otherDN: "1003" });
    expect(initiated.status).toBe(200);
    expect(initiated.event).toMatchObject({ event: "EventDialing", thisDN: "1002", otherDN: "1003", callType: 4, transferConnID: original });
    const consult = initiated.event.connID!;
    expect(consult).not.toBe(original);
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "EventRinging at 1003");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID: consult });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1002" && e.connID === consult, "consult established at 1002");

    const completed = await s.request("site-a", { request: "RequestCompleteTransfer", thisDN: "1002", connID: original, transferConnID: consult });
    expect(completed.status).toBe(200);
    expect(completed.event).toMatchObject({ event: "EventReleased", thisDN: "1002", connID: original, callState: 1 });
    await s.waitFor((e) => e.event === "EventPartyChanged" && e.thisDN === "1001", "EventPartyChanged at 1001");
    // roles: the parties keep theirs; the transferring DN is named with TransferredBy (7)
    expect(s.events.slice(mark).filter((e) => e.event === "EventPartyChanged").map((e) => [e.thisDN, e.thisDNRole, e.thirdPartyDNRole])).toEqual([["1003", 2, 7], ["1001", 1, 7]]);
    expect(s.events.slice(mark, mark + 3).map((e) => [e.event, e.thisDNRole, e.otherDNRole])).toEqual([["EventHeld", 2, 1], ["EventDialing", 1, 2], ["EventRinging", 2, 1]]);

    expect(s.events.slice(mark).map(view)).toEqual([
      { event: "EventHeld", thisDN: "1002", otherDN: "1001", connID: original },
      { event: "EventDialing", thisDN: "1002", otherDN: "1003", connID: consult, transferConnID: original, callType: 4 },
      { event: "EventRinging", thisDN: "1003", otherDN: "1002", connID: consult },
      { event: "EventEstablished", thisDN: "1003", otherDN: "1002", connID: consult },
      { event: "EventEstablished", thisDN: "1002", otherDN: "1003", connID: consult, callType: 4 },
      // JDG Table 8's order: the controller leaves the final call, the consulted party appears in it, then the consult call is cleared
      { event: "EventReleased", thisDN: "1002", otherDN: "1001", connID: original, callState: 1 },
      { event: "EventPartyChanged", thisDN: "1003", otherDN: "1001", connID: original, previousConnID: consult, thirdPartyDN: "1002" },
      { event: "EventReleased", thisDN: "1002", otherDN: "1003", connID: consult, callState: 1, callType: 4 },
      { event: "EventPartyChanged", thisDN: "1001", otherDN: "1003", connID: original, thirdPartyDN: "1002" },
    ]);
    // the transferred call goes on between 1001 and 1003 under the original connID
    const released = await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1003", connID: original });
    expect(released.event).toMatchObject({ event: "EventReleased", thisDN: "1003", connID: original });
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001", "EventReleased at 1001");
    await s.close();
  });

  it("single-step: the transferring DN is released, the destination rings, the remaining party changes", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1004");
    const original = await answeredCall(s, "1001", "1002");
    const mark = s.events.length;
    const moved = await s.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1002", connID: original, otherDN: "1004" });
    expect(moved.event).toMatchObject({ event: "EventReleased", thisDN: "1002", connID: original, callState: 1 });
    await s.waitFor((e) => e.event === "EventPartyChanged", "EventPartyChanged at 1001");
    expect(s.events.slice(mark).map(view)).toEqual([
      { event: "EventReleased", thisDN: "1002", otherDN: "1001", connID: original, callState: 1 },
      { event: "EventRinging", thisDN: "1004", otherDN: "1001", connID: original },
      { event: "EventPartyChanged", thisDN: "1001", otherDN: "1004", connID: original, thirdPartyDN: "1002" },
    ]);
    expect((await s.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1001", connID: original, otherDN: "7777" })).event.errorCode).toBe(177);
    await stack.simControl("POST", "/clusters/site-a/devices/1001/hangup");
    await s.close();
  });

  it("refuses a complete transfer without a consult call, and a transfer of a call that is not established", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1003", "1004");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1003", otherDN: "1004" });
    expect((await s.request("site-a", { request: "RequestSingleStepTransfer", thisDN: "1003", connID: made.event.connID, otherDN: "1001" })).event.errorCode).toBe(51);
    expect((await s.request("site-a", { request: "RequestCompleteTransfer", thisDN: "1003" })).event.errorCode).toBe(56);
    await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1003" });
    await s.close();
  });
});

describe("alternate, reconnect and redirect", () => {
  it("alternates between the consult and the held call, then reconnects to the original", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1003");
    const original = await answeredCall(s, "1001", "1002");
    const consult = (await s.request("site-a", { request: "RequestInitiateTransfer", thisDN: "1002", connID: original, otherDN: "1003" })).event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "EventRinging at 1003");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID: consult });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1002" && e.connID === consult, "consult established");

    const mark = s.events.length;
    const alternated = await s.request("site-a", { request: "RequestAlternateCall", thisDN: "1002", connID: original, transferConnID: consult });
    expect(alternated.event).toMatchObject({ event: "EventRetrieved", thisDN: "1002", connID: original });
    await s.waitFor((e) => e.event === "EventRetrieved" && e.connID === original, "EventRetrieved on the stream");
    expect(s.events.slice(mark).map((e) => [e.event, e.thisDN, e.connID])).toEqual([["EventHeld", "1002", consult], ["EventRetrieved", "1002", original]]);

    // back to the consult, then drop it and return to the original caller
    const back = await s.request("site-a", { request: "RequestAlternateCall", thisDN: "1002", connID: consult, transferConnID: original });
    await s.waitFor((e) => e.referenceID === back.referenceID, "the second alternate on the stream");
    const mark2 = s.events.length;
    const reconnected = await s.request("site-a", { request: "RequestReconnectCall", thisDN: "1002", connID: original, transferConnID: consult });
    expect(reconnected.event).toMatchObject({ event: "EventRetrieved", thisDN: "1002", connID: original });
    await s.waitFor((e) => e.event === "EventRetrieved" && e.connID === original && s.events.indexOf(e) >= mark2, "reconnect on the stream");
    expect(s.events.slice(mark2).map((e) => [e.event, e.thisDN, e.connID])).toEqual([
      ["EventReleased", "1002", consult], ["EventReleased", "1003", consult], ["EventRetrieved", "1002", original],
    ]);
    await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1002", connID: original });
    await s.close();
  });

  it("redirects a ringing call: EventReleased (Redirected) where it rang, EventRinging at the new destination", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1003", "1004");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1003", otherDN: "1004" });
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1004", "EventRinging at 1004");
    const redirected = await s.request("site-a", { request: "RequestRedirectCall", thisDN: "1004", connID: made.event.connID, otherDN: "1001" });
    expect(redirected.event).toMatchObject({ event: "EventReleased", thisDN: "1004", callState: 22 });
    const ringing = await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1001", "EventRinging at 1001");
    expect(ringing).toMatchObject({ otherDN: "1003", connID: made.event.connID });
    expect((await s.request("site-a", { request: "RequestRedirectCall", thisDN: "1003", connID: made.event.connID, otherDN: "1002" })).event.errorCode).toBe(51);
    await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1003" });
    await s.close();
  });
});
