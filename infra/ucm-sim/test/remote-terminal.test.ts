// Extend and connect on a CTI remote device (CiscoRemoteTerminal), as jtapi-fidelity.md B.2 (1) specifies it:
// remote destinations set per provider (JDG p.923), cleared when that provider goes and given back when it
// returns, calls busy unless extended (TDG 61), answered only at the mobile (JDG p.1345), CTI calls that ring
// the mobile first.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { control, LinkClient, record, sim, simWith, until } from "./helpers.js";

let s: Simulator;
beforeEach(async () => { s = await sim(); });
afterEach(async () => { await s.stop(); });

const fault = (f: () => unknown) => {
  try { f(); } catch (err) { return err as { exception: string; errorName?: string; message: string }; }
  throw new Error("no fault");
};

async function provider(sim: Simulator, application: string, link = "link-1"): Promise<LinkClient> {
  const c = await LinkClient.connect(sim.clusters["site-a"]!.linkPort);
  c.send({ type: "hello", protocol: 1, user: "tserver", password: "ctimanager-demo-a", application, link });
  await c.waitFor((f) => f.type === "welcome");
  c.send({ type: "request", id: 1, op: "snapshot" });
  await c.waitFor((f) => f.type === "response" && f.id === 1);
  return c;
}

const changes = (c: LinkClient) => c.frames.filter((f) => f.type === "events").flatMap((f) => f.events).filter((e: { id: string }) => e.id === "CiscoProvTerminalRemoteDestinationChangedEv");

describe("remote destinations, per provider (JDG p.923)", () => {
  it("setRemoteDestination activates a destination; each provider hears it with its own isMyAppLastToSetActiveRD", async () => {
    const p1 = await provider(s, "link-agent a");
    const p2 = await provider(s, "link-agent b");
    try {
      p1.send({ type: "request", id: 2, op: "setRemoteDestination", address: "1801", number: "0611000001", name: "mobile-1801", active: true });
      const answer = await p1.waitFor((f) => f.type === "response" && f.id === 2);
      expect(answer.result).toEqual({ remoteDestinations: [{ number: "0611000001", name: "mobile-1801", active: true }], myAppLastToSetActiveRD: true });
      await until(() => changes(p1).length === 1 && changes(p2).length === 1, "the change at both providers");
      expect(changes(p1)[0]).toMatchObject({ address: "1801", terminal: "CTIRD1801", remoteDestinations: [{ number: "0611000001", name: "mobile-1801", active: true }], myAppLastToSetActiveRD: true });
      expect(changes(p2)[0]).toMatchObject({ address: "1801", myAppLastToSetActiveRD: false });
      // the answer before the provider event it caused
      expect(p1.frames.indexOf(answer)).toBeLessThan(p1.frames.findIndex((f) => f.type === "events"));
      // a new number is added (addRemoteDestination), the old one stays, inactive
      p2.send({ type: "request", id: 3, op: "setRemoteDestination", address: "1801", number: "0699000009", active: true });
      await until(() => changes(p1).length === 2 && changes(p2).length === 2, "the second change");
      expect(changes(p1)[1]).toMatchObject({ remoteDestinations: [{ number: "0611000001", active: false }, { number: "0699000009", name: "0699000009", active: true }], myAppLastToSetActiveRD: false });
      expect(changes(p2)[1].myAppLastToSetActiveRD).toBe(true);
      // snapshots say the same, per provider
      p1.send({ type: "request", id: 4, op: "snapshot" });
      const snap = (await p1.waitFor((f) => f.type === "response" && f.id === 4)).result;
      expect(snap.addresses.find((a: { address: string }) => a.address === "1801")).toMatchObject({ kind: "remoteTerminal", myAppLastToSetActiveRD: false, remoteDestinations: [{ number: "0611000001", active: false }, { number: "0699000009", active: true }] });
    } finally {
      p1.close();
      p2.close();
    }
  });

  it("refuses bad numbers and names, too many destinations, other devices and a terminal out of service, with Cisco's error names", () => {
    const r = s.cluster("site-a").remote;
    expect(fault(() => r.set("p", "1801", "06-11", undefined, true))).toMatchObject({ exception: "InvalidArgumentException", errorName: "CTIERR_INVALID_REMOTE_DESTINATION_NUMBER" });
    expect(fault(() => r.set("p", "1801", "0611000001", "x".repeat(51), true))).toMatchObject({ exception: "InvalidArgumentException", errorName: "CTIERR_INVALID_REMOTE_DESTINATION_NAME" });
    for (const n of ["0600000002", "0600000003", "0600000004"]) r.set("p", "1801", n, undefined, true);
    expect(fault(() => r.set("p", "1801", "0600000005", undefined, true))).toMatchObject({ exception: "InvalidStateException", errorName: "CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED" });
    expect(fault(() => r.set("p", "1001", "0611000001", undefined, true))).toMatchObject({ exception: "InvalidArgumentException", message: expect.stringMatching(/not a CTI remote device/) });
    s.cluster("site-a").setInService("1802", false);
    expect(fault(() => r.set("p", "1802", "0611000002", undefined, true)).exception).toBe("InvalidStateException");
  });

  it("clears the destination when its provider goes, and gives it back silently when the same application comes back (links/drop)", async () => {
    const p1 = await provider(s, "link-agent a");
    const other = await provider(s, "link-agent b");
    try {
      p1.send({ type: "request", id: 2, op: "setRemoteDestination", address: "1801", number: "0611000001", active: true });
      await until(() => changes(other).length === 1, "the activation");
      p1.close();
      await until(() => changes(other).length === 2, "the clearing");
      expect(changes(other)[1]).toMatchObject({ remoteDestinations: [{ number: "0611000001", active: false }], myAppLastToSetActiveRD: false });
      expect(s.cluster("site-a").devices.get("1801")!.activeRemoteDestination).toBeNull();
      const back = await provider(s, "link-agent a");
      try {
        await until(() => changes(other).length === 3, "the destination back");
        expect(changes(other)[2]).toMatchObject({ remoteDestinations: [{ number: "0611000001", active: true }], myAppLastToSetActiveRD: false });
        const snap = back.frames.find((f) => f.type === "response" && f.id === 1).result;
        expect(snap.addresses.find((a: { address: string }) => a.address === "1801")).toMatchObject({ myAppLastToSetActiveRD: true, remoteDestinations: [{ number: "0611000001", active: true }] });
        expect(changes(back)).toEqual([]);
      } finally {
        back.close();
      }
    } finally {
      other.close();
    }
  });

  it("does not give the destination back to another application, nor after the retry interval", async () => {
    const t = await simWith({}, { "site-a": { providerRetryIntervalMs: 0 } });
    try {
      const p1 = await provider(t, "link-agent a");
      p1.send({ type: "request", id: 2, op: "setRemoteDestination", address: "1801", number: "0611000001", active: true });
      await p1.waitFor((f) => f.type === "response" && f.id === 2);
      p1.close();
      await until(() => t.cluster("site-a").devices.get("1801")!.activeRemoteDestination === null, "the clearing");
      const stranger = await provider(t, "jabber");
      await new Promise((r) => setImmediate(r));
      expect(t.cluster("site-a").devices.get("1801")!.activeRemoteDestination).toBeNull();
      stranger.close();
      await until(() => t.linkServer("site-a").connections() === 0, "the stranger gone");
      const late = await provider(t, "link-agent a");
      expect(t.cluster("site-a").devices.get("1801")!.activeRemoteDestination).toBeNull();
      late.close();
    } finally {
      await t.stop();
    }
  });
});

describe("calls of a remote terminal", () => {
  it("an incoming call rings only when extended, is answered only at the mobile (JDG p.1345), and ends when the mobile hangs up", async () => {
    const c = s.cluster("site-a");
    c.remote.set("p", "1801", "0611000001", undefined, true);
    const a = record(s, "site-a");
    const call = c.originate("1001", "1801", "cti");
    expect(a.trail().slice(-8)).toEqual(["ConnCreatedEv@1801", "ConnInProgressEv@1801", "CallCtlConnOfferedEv@1801", "ConnAlertingEv@1801", "CallCtlConnAlertingEv@1801", "TermConnCreatedEv@1801", "TermConnRingingEv@1801", "CallCtlTermConnRingingEv@1801"]);
    expect(fault(() => c.answer(call.id, "1801"))).toMatchObject({ exception: "MethodNotSupportedException", message: expect.stringMatching(/remote destination/) });
    expect((await control(s, "POST", "/clusters/site-a/devices/1801/answer")).status).toBe(409);
    a.clear();
    // another mobile than the active one has no call
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000002/answer")).status).toBe(409);
    const answered = await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/answer");
    expect(answered).toEqual({ status: 200, body: { number: "0611000001", callId: call.id } });
    expect(a.trail()).toEqual(["ConnConnectedEv@1801", "CallCtlConnEstablishedEv@1801", "TermConnActiveEv@1801", "CallCtlTermConnTalkingEv@1801"]);
    expect(a.events.every((e) => e.callId === call.id)).toBe(true);
    a.clear();
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/hangup")).status).toBe(200);
    expect(a.trail()).toEqual([
      "TermConnDroppedEv@1801", "CallCtlTermConnDroppedEv@1801", "ConnDisconnectedEv@1801", "CallCtlConnDisconnectedEv@1801",
      "TermConnDroppedEv@1001", "CallCtlTermConnDroppedEv@1001", "ConnDisconnectedEv@1001", "CallCtlConnDisconnectedEv@1001", "CallInvalidEv@",
    ]);
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/hangup")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0699999999/answer")).status).toBe(404);
  });

  it("is busy while not extended, also after a deactivation (TDG 61)", () => {
    const c = s.cluster("site-a");
    c.remote.set("p", "1801", "0611000001", undefined, true);
    c.remote.set("p", "1801", "0611000001", undefined, false);
    const a = record(s, "site-a");
    c.originate("1001", "1801", "cti");
    expect(a.trail().slice(-3)).toEqual(["ConnCreatedEv@1801", "ConnFailedEv@1801#203", "CallCtlConnFailedEv@1801#203"]);
  });

  it("with routeToAllWhenNotConnected (CUCM 10.0(1), TDG 61) an unextended remote terminal rings, and any of its mobiles answers", async () => {
    const t = await simWith({ "site-a": { "1802": { routeToAllWhenNotConnected: true } } });
    try {
      const c = t.cluster("site-a");
      const a = record(t, "site-a");
      const call = c.originate("1001", "1802", "cti");
      expect(a.trail().slice(-3)).toEqual(["TermConnCreatedEv@1802", "TermConnRingingEv@1802", "CallCtlTermConnRingingEv@1802"]);
      expect((await control(t, "POST", "/clusters/site-a/remote-destinations/0611000002/answer")).body.callId).toBe(call.id);
      expect(a.trail().slice(-4)).toEqual(["ConnConnectedEv@1802", "CallCtlConnEstablishedEv@1802", "TermConnActiveEv@1802", "CallCtlTermConnTalkingEv@1802"]);
    } finally {
      await t.stop();
    }
  });

  it("a call placed through CTI rings the mobile first and is dialed when the mobile answers", async () => {
    const c = s.cluster("site-a");
    expect(fault(() => c.originate("1801", "1002", "cti"))).toMatchObject({ exception: "PlatformException", errorName: "CTIERR_REMOTE_DEVICE_REQUEST_FAILED_ACTIVE_RD_NOT_SET" });
    expect(fault(() => c.originate("1801", "1002", "manual")).exception).toBe("InvalidStateException");
    c.remote.set("p", "1801", "0611000001", undefined, true);
    const a = record(s, "site-a");
    const call = c.originate("1801", "1002", "cti");
    expect(a.trail()).toEqual(["CallActiveEv@", "ConnCreatedEv@1801", "ConnConnectedEv@1801", "CallCtlConnInitiatedEv@1801", "TermConnCreatedEv@1801"]);
    expect(a.events[0]).toMatchObject({ callingAddress: "1801", calledAddress: "1002" });
    a.clear();
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/answer")).body.callId).toBe(call.id);
    expect(a.trail()).toEqual([
      "TermConnActiveEv@1801", "CallCtlTermConnTalkingEv@1801", "CallCtlConnDialingEv@1801", "CallCtlConnEstablishedEv@1801",
      "ConnCreatedEv@1002", "ConnInProgressEv@1002", "CallCtlConnOfferedEv@1002", "ConnAlertingEv@1002", "CallCtlConnAlertingEv@1002",
      "TermConnCreatedEv@1002", "TermConnRingingEv@1002", "CallCtlTermConnRingingEv@1002",
    ]);
  });

  it("with remoteAutoAnswerMs the mobile answers by itself", async () => {
    const t = await simWith({ "site-a": { "1802": { remoteAutoAnswerMs: 20 } } });
    try {
      const c = t.cluster("site-a");
      c.remote.set("p", "1802", "0611000002", undefined, true);
      const a = record(t, "site-a");
      c.originate("1802", "1003", "cti");
      await until(() => a.events.some((e) => e.id === "CallCtlTermConnRingingEv" && e.address === "1003"), "1003 ringing");
      expect(a.trail().slice(5, 9)).toEqual(["TermConnActiveEv@1802", "CallCtlTermConnTalkingEv@1802", "CallCtlConnDialingEv@1802", "CallCtlConnEstablishedEv@1802"]);
    } finally {
      await t.stop();
    }
  });
});
