// Call-scoped user data: one owner (the Call object), seen by every party of the call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

describe("user data of a call", () => {
  it("attach, update and delete reach every party's sessions with EventAttachedDataChanged, and later call events carry the data", async () => {
    const caller = await ClientSession.open(stack.client());
    const callee = await ClientSession.open(stack.client());
    await caller.register("site-a", "1001");
    await callee.register("site-a", "1002");
    const made = await caller.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const connID = made.event.connID!;
    await callee.waitFor((e) => e.event === "EventRinging", "EventRinging at 1002");

    const attached = await caller.request("site-a", { request: "RequestAttachUserData", thisDN: "1001", connID, userData: { CaseID: "C-42", Priority: 3 } });
    expect(attached.status).toBe(200);
    expect(attached.event).toMatchObject({ event: "EventAttachedDataChanged", thisDN: "1001", connID, thirdPartyDN: "1001", userData: { CaseID: "C-42", Priority: 3 } });
    const seen = await callee.waitFor((e) => e.event === "EventAttachedDataChanged", "EventAttachedDataChanged at 1002");
    expect(seen).toMatchObject({ thisDN: "1002", connID, thirdPartyDN: "1001", userData: { CaseID: "C-42", Priority: 3 } });

    const updated = await callee.request("site-a", { request: "RequestUpdateUserData", thisDN: "1002", connID, userData: { Priority: 1, Language: "fr" } });
    expect(updated.event.userData).toEqual({ CaseID: "C-42", Priority: 1, Language: "fr" });
    await caller.waitFor((e) => e.event === "EventAttachedDataChanged" && e.thirdPartyDN === "1002", "the callee's update at 1001");

    expect((await callee.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID })).event.userData).toEqual({ CaseID: "C-42", Priority: 1, Language: "fr" });
    const deleted = await caller.request("site-a", { request: "RequestDeleteUserData", thisDN: "1001", connID, userData: { Priority: null } });
    expect(deleted.event.userData).toEqual({ CaseID: "C-42", Language: "fr" });
    expect((await caller.request("site-a", { request: "RequestHoldCall", thisDN: "1001", connID })).event.userData).toEqual({ CaseID: "C-42", Language: "fr" });

    expect((await caller.request("site-a", { request: "RequestAttachUserData", thisDN: "1001", connID: "0000000000000000", userData: { a: 1 } })).event.errorCode).toBe(56);
    expect((await caller.request("site-a", { request: "RequestAttachUserData", thisDN: "1001", connID })).event.errorCode).toBe(53);
    await caller.request("site-a", { request: "RequestReleaseCall", thisDN: "1001", connID });
    await callee.waitFor((e) => e.event === "EventReleased", "EventReleased at 1002");
    expect(callee.trail()).toEqual([
      ["EventRegistered", "1002"], ["EventRinging", "1002"], ["EventAttachedDataChanged", "1002"], ["EventAttachedDataChanged", "1002"],
      ["EventEstablished", "1002"], ["EventAttachedDataChanged", "1002"], ["EventReleased", "1002"],
    ]);
    await caller.close();
    await callee.close();
  });
});
