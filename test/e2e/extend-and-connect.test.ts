// Feature F3 (issue 10, points 1-4) over real sockets: remote terminal 1801 (mobiles 0611000001/2) is
// out of service until a client extends it (REMOTE_DEST/REMOTE_NAME), rings and is answered only at the
// mobile, calls out through the mobile first; the last client to activate owns it and only the owner
// deactivates it (jtapi-fidelity.md B.2 (3) (4)).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const simA = (path: string, body?: unknown) => stack.simControl("POST", `/clusters/site-a${path}`, body);
const EXT_1 = { REMOTE_DEST: "0611000001", REMOTE_NAME: "mobile-1801" };
const EXT_2 = { REMOTE_DEST: "0611000002", REMOTE_NAME: "0611000002" };
const next = (s: ClientSession, n: number, name: string, dn?: string): Promise<TEvent> =>
  s.waitFor((e) => s.events.indexOf(e) >= n && e.event === name && (!dn || e.thisDN === dn), `${name}${dn ? ` on ${dn}` : ""}`);

async function setGrace(seconds: string): Promise<void> {
  const res = await fetch(`${stack.api}/v1/sites/site-a/options/TServer`, { method: "PUT", headers: { authorization: `Bearer ${stack.keys.config}`, "content-type": "application/json" }, body: JSON.stringify({ "client-disconnect-grace": seconds }) });
  expect(res.status).toBe(200);
}

describe("F3: extend and connect", () => {
  it("is busy and refuses call requests until extended; activation gives EventRegistered at once, then EventDNBackInService with the extensions", async () => {
    const caller = await ClientSession.open(stack.client());
    const watcher = await ClientSession.open(stack.client());
    await caller.register("site-a", "1001");
    await watcher.register("site-a", "1801");
    expect((await watcher.request("site-a", { request: "RequestMakeCall", thisDN: "1801", otherDN: "1002" })).event).toMatchObject({ event: "EventError", errorCode: 58 });
    // not extended: destination busy from the switch; 1801 hears nothing
    await simA("/devices/1001/offhook", { dial: "1801" });
    expect(await caller.waitFor((e) => e.event === "EventDestinationBusy", "EventDestinationBusy")).toMatchObject({ thisDN: "1001", otherDN: "1801", callState: 6 });
    await simA("/devices/1001/hangup");
    await caller.waitFor((e) => e.event === "EventReleased", "EventReleased at 1001");
    expect(watcher.trail()).toEqual([["EventRegistered", "1801"], ["EventError", "1801"]]);

    const owner = await ClientSession.open(stack.client());
    const registered = await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: EXT_1 });
    expect(registered.event).toMatchObject({ event: "EventRegistered", thisDN: "1801", referenceID: registered.referenceID });
    for (const s of [owner, watcher]) {
      expect(await s.waitFor((e) => e.event === "EventDNBackInService", "EventDNBackInService")).toMatchObject({ thisDN: "1801", extensions: EXT_1 });
    }

    // incoming: rings at 1801, answered only at the mobile
    let n = watcher.events.length;
    await simA("/devices/1001/offhook", { dial: "1801" });
    const ringing = await next(watcher, n, "EventRinging", "1801");
    expect(ringing).toMatchObject({ thisDN: "1801", thisDNRole: 2, otherDN: "1001", otherDNRole: 1, callType: 1 });
    expect((await owner.request("site-a", { request: "RequestAnswerCall", thisDN: "1801" })).event).toMatchObject({ event: "EventError", errorCode: 51 });
    expect((await stack.simControl("POST", "/clusters/site-a/remote-destinations/0611000001/answer")).status).toBe(200);
    expect(await next(watcher, n, "EventEstablished", "1801")).toMatchObject({ connID: ringing.connID, thisDN: "1801", otherDN: "1001" });
    expect(await caller.waitFor((e) => e.event === "EventEstablished" && e.connID === ringing.connID, "EventEstablished at 1001")).toMatchObject({ thisDN: "1001", otherDN: "1801" });
    await stack.simControl("POST", "/clusters/site-a/remote-destinations/0611000001/hangup");
    expect(await next(watcher, n, "EventReleased", "1801")).toMatchObject({ connID: ringing.connID });
    await caller.waitFor((e) => e.event === "EventReleased" && e.connID === ringing.connID, "EventReleased at 1001");

    // JTAPI says the terminal is out of service (the device unregistered), then back: out of service and back
    // with the extensions, the owner unchanged (either condition stopping is enough, seed "Extend and connect")
    n = watcher.events.length;
    expect((await simA("/devices/1801/out-of-service")).status).toBe(200);
    await next(watcher, n, "EventDNOutOfService", "1801");
    expect((await simA("/devices/1801/in-service")).status).toBe(200);
    await next(watcher, n, "EventDNBackInService", "1801");
    expect(watcher.events.slice(n).map((e) => [e.event, e.thisDN, e.extensions ?? null])).toEqual([["EventDNOutOfService", "1801", null], ["EventDNBackInService", "1801", EXT_1]]);

    // outgoing through CTI: the mobile rings first; EventDialing names the number asked for; manual origination is refused
    expect((await simA("/devices/1801/offhook", { dial: "1002" })).status).toBe(409);
    const callee = await ClientSession.open(stack.client());
    await callee.register("site-a", "1002");
    n = watcher.events.length;
    const dialing = await owner.request("site-a", { request: "RequestMakeCall", thisDN: "1801", otherDN: "1002" });
    expect(dialing.event).toMatchObject({ event: "EventDialing", thisDN: "1801", thisDNRole: 1, otherDN: "1002", dnis: "1002" });
    // the switch has not dialed 1002 yet: it waits for the mobile
    expect((await stack.simControl("GET", "/clusters/site-a/devices/1002")).body.calls).toEqual([]);
    expect(callee.trail()).toEqual([["EventRegistered", "1002"]]);
    expect((await stack.simControl("POST", "/clusters/site-a/remote-destinations/0611000001/answer")).status).toBe(200);
    expect(await callee.waitFor((e) => e.event === "EventRinging", "EventRinging at 1002")).toMatchObject({ connID: dialing.event.connID, otherDN: "1801" });
    await simA("/devices/1002/answer");
    await next(watcher, n, "EventEstablished", "1801");
    await simA("/devices/1002/hangup");
    await next(watcher, n, "EventReleased", "1801");
    expect(watcher.events.slice(n).map((e) => e.event)).toEqual(["EventDialing", "EventEstablished", "EventReleased"]);

    // the owner leaves: EventUnregistered for it, EventDNOutOfService for the rest
    expect((await owner.request("site-a", { request: "RequestUnregisterAddress", thisDN: "1801" })).event.event).toBe("EventUnregistered");
    expect(await watcher.waitFor((e) => e.event === "EventDNOutOfService", "EventDNOutOfService")).toMatchObject({ thisDN: "1801" });
    expect(owner.trail().filter(([e]) => !/^Event(Ringing|Established|Released|Dialing)$/.test(e))).toEqual([
      ["EventRegistered", "1801"], ["EventDNBackInService", "1801"], ["EventError", "1801"], ["EventDNOutOfService", "1801"], ["EventDNBackInService", "1801"], ["EventUnregistered", "1801"],
    ]);
    expect(owner.events.slice(owner.events.findIndex((e) => e.event === "EventUnregistered")).some((e) => e.event === "EventDNOutOfService")).toBe(false);
    // REMOTE_DEST on a DN that is not a remote terminal
    expect((await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1001", extensions: EXT_1 })).event).toMatchObject({ event: "EventError", errorCode: 53, errorMessage: expect.stringContaining("not a remote terminal") });
    for (const s of [caller, watcher, owner, callee]) await s.close();
  });

  it("takeover by the last client; a non-owner leaving changes nothing; the owner's disconnect deactivates after client-disconnect-grace", async () => {
    await setGrace("1");
    const watcher = await ClientSession.open(stack.client());
    const x = await ClientSession.open(stack.client());
    const y = await ClientSession.open(stack.client());
    await watcher.register("site-a", "1801");
    await x.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: EXT_1 });
    await watcher.waitFor((e) => e.event === "EventDNBackInService", "in service for X");
    await y.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: { REMOTE_DEST: "0611000002" } });
    for (const s of [watcher, x, y]) {
      expect(await s.waitFor((e) => e.event === "EventDNBackInService" && (e.extensions as Record<string, string>)?.REMOTE_DEST === "0611000002", "in service for Y")).toMatchObject({ extensions: EXT_2 });
    }
    // no EventDNOutOfService in between
    expect(watcher.trail()).toEqual([["EventRegistered", "1801"], ["EventDNBackInService", "1801"], ["EventDNBackInService", "1801"]]);
    // X is not the owner: its session ending (closed and deleted) changes nothing; calls still ring Y's mobile
    await x.close();
    await simA("/devices/1001/offhook", { dial: "1801" });
    await watcher.waitFor((e) => e.event === "EventRinging", "EventRinging");
    expect((await stack.simControl("POST", "/clusters/site-a/remote-destinations/0611000001/answer")).status).toBe(409);
    expect((await stack.simControl("POST", "/clusters/site-a/remote-destinations/0611000002/answer")).status).toBe(200);
    await watcher.waitFor((e) => e.event === "EventEstablished", "EventEstablished");
    await simA("/devices/1001/hangup");
    await watcher.waitFor((e) => e.event === "EventReleased", "EventReleased");
    expect(watcher.events.filter((e) => e.event === "EventDNOutOfService")).toEqual([]);
    // Y, the owner, disconnects: after the grace (1 s), not at once, the rest hear EventDNOutOfService
    const closedAt = Date.now();
    y.ws.close();
    expect(await watcher.waitFor((e) => e.event === "EventDNOutOfService", "EventDNOutOfService after the owner's disconnect")).toMatchObject({ thisDN: "1801" });
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(1_000);
    expect(watcher.trail().slice(-1)).toEqual([["EventDNOutOfService", "1801"]]);
    await setGrace("10");
    await watcher.close();
  });

  it("a destination the switch refuses gives EventHardwareError with the extensions, to every client of the DN", async () => {
    const owner = await ClientSession.open(stack.client());
    const watcher = await ClientSession.open(stack.client());
    await watcher.register("site-a", "1802");
    // the switch keeps at most 4 remote destinations per terminal (1802 has one configured): the 4th new number is one too many
    for (const number of ["0611000021", "0611000022", "0611000023"]) {
      const n = watcher.events.length;
      await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1802", extensions: { REMOTE_DEST: number } });
      expect(await next(watcher, n, "EventDNBackInService", "1802")).toMatchObject({ extensions: { REMOTE_DEST: number, REMOTE_NAME: number } });
    }
    const n = watcher.events.length;
    const registered = await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1802", extensions: { REMOTE_DEST: "0611000024", REMOTE_NAME: "one too many" } });
    expect(registered.event.event).toBe("EventRegistered");
    for (const s of [owner, watcher]) {
      expect(await s.waitFor((e) => e.event === "EventHardwareError", "EventHardwareError")).toMatchObject({
        thisDN: "1802", errorCode: 42, errorMessage: expect.stringContaining("CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED"), extensions: { REMOTE_DEST: "0611000024", REMOTE_NAME: "one too many" },
      });
    }
    expect(await next(watcher, n, "EventDNOutOfService", "1802")).toMatchObject({ thisDN: "1802" });
    expect(watcher.events.slice(n).map((e) => e.event)).toEqual(["EventHardwareError", "EventDNOutOfService"]);
    // nobody owns the earlier destination any more: the terminal is deactivated at the switch, and busy
    const caller = await ClientSession.open(stack.client());
    await caller.register("site-a", "1001");
    for (let end = Date.now() + 5_000; (await stack.simControl("GET", "/clusters/site-a/devices/1802")).body.activeRemoteDestination !== null;) {
      if (Date.now() > end) throw new Error("1802 still extended at the switch after the refusal");
      await new Promise((r) => setTimeout(r, 50));
    }
    await simA("/devices/1001/offhook", { dial: "1802" });
    await caller.waitFor((e) => e.event === "EventDestinationBusy", "EventDestinationBusy");
    await simA("/devices/1001/hangup");
    await caller.waitFor((e) => e.event === "EventReleased", "EventReleased at 1001");
    for (const s of [owner, watcher, caller]) await s.close();
  });
});
