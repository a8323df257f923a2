// The production path end to end: a link agent configured with a JTAPI bridge starts the Java bridge
// (infra/jtapi-bridge) around a fake Cisco provider (in place of Cisco's jtapi.jar) that fires Cisco's
// documented sequences, and a client of the real worker sees T-Library events for a basic call and a
// consult transfer, exactly and in order.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { BRIDGE_DIR, buildBridge, FAKE_PEER, GSON_JAR } from "../../link-agent/test/helpers/jtapi-bridge.js";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";
import net from "node:net";

let stack: Stack;
const dir = mkdtempSync(join(tmpdir(), "e2e-jtapi-bridge-"));
const controlFile = join(dir, "control-port");
const PASSWORD = "ctimanager-demo-a";

/** The fake provider's control port: the people at the phones. */
async function phone(command: string): Promise<string> {
  const port = Number(readFileSync(controlFile, "utf8"));
  return new Promise((ok, fail) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(command + "\n"));
    s.once("data", (d) => { ok(d.toString("utf8").trim()); s.destroy(); });
    s.once("error", fail);
  });
}

beforeAll(async () => {
  buildBridge();
  stack = await startStack({ startAgents: false });
  const build = resolve(BRIDGE_DIR, "build");
  await stack.startAgent("site-a", {
    links: [{
      name: "link-1", host: "cucm-pub,cucm-sub1", port: 2748, user: "tserver", password: PASSWORD,
      bridge: {
        jtapiJar: join(build, "jtapi-stub.jar"), extraClasspath: [join(build, "jtapi-fake.jar")], bridgeJar: join(build, "jtapi-bridge.jar"), gsonJar: GSON_JAR,
        peer: FAKE_PEER, env: { FAKE_JTAPI_CONTROL_FILE: controlFile, FAKE_JTAPI_PASSWORD: PASSWORD },
      },
    }],
  });
}, 180_000);
afterAll(async () => { await stack?.stop(); });

const view = (e: TEvent) => ({
  event: e.event, thisDN: e.thisDN, otherDN: e.otherDN, connID: e.connID,
  ...(e.previousConnID ? { previousConnID: e.previousConnID } : {}), ...(e.transferConnID ? { transferConnID: e.transferConnID } : {}),
  ...(e.thirdPartyDN ? { thirdPartyDN: e.thirdPartyDN } : {}), ...(e.callState !== undefined ? { callState: e.callState } : {}),
  ...(e.callType === 4 ? { callType: 4 } : {}),
});

describe("link agent + JTAPI bridge + fake Cisco provider + worker", () => {
  it("the agent started the bridge, relays its log, and the link is up", async () => {
    await waitForLink(stack.api, stack.keys.client, "site-a", true);
    const log = stack.agentLog("site-a");
    expect(log.some((l) => l.msg === "jtapi bridge listening on loopback" && l.link === "link-1")).toBe(true);
    expect(log.some((l) => l.msg === "jtapi bridge: provider opened" && l.bridge === true)).toBe(true);
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
  });

  it("a basic call: dialing, ringing, established on both, released on both", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    expect(made.event).toMatchObject({ event: "EventDialing", thisDN: "1001", otherDN: "1002" });
    const connID = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging on 1002");
    expect((await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID })).event).toMatchObject({ event: "EventEstablished", thisDN: "1002" });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished on 1001");
    // the person at 1002 hangs up
    expect(await phone("hangup 1002")).toBe("ok");
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001", "EventReleased on 1001");
    expect(s.events.map((e) => ({ event: e.event, thisDN: e.thisDN, otherDN: e.otherDN, thisDNRole: e.thisDNRole, callType: e.callType }))).toEqual([
      { event: "EventRegistered", thisDN: "1001" },
      { event: "EventRegistered", thisDN: "1002" },
      { event: "EventDialing", thisDN: "1001", otherDN: "1002", thisDNRole: 1, callType: 1 },
      { event: "EventRinging", thisDN: "1002", otherDN: "1001", thisDNRole: 2, callType: 1 },
      { event: "EventEstablished", thisDN: "1002", otherDN: "1001", thisDNRole: 2, callType: 1 },
      { event: "EventEstablished", thisDN: "1001", otherDN: "1002", thisDNRole: 1, callType: 1 },
      { event: "EventReleased", thisDN: "1002", otherDN: "1001", thisDNRole: 2, callType: 1 },
      { event: "EventReleased", thisDN: "1001", otherDN: "1002", thisDNRole: 1, callType: 1 },
    ]);
    expect(new Set(s.events.slice(2).map((e) => e.connID))).toEqual(new Set([connID]));
    await s.close();
  });

  it("a consult transfer in Cisco's order: the consulted party takes over the original call", async () => {
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002", "1003");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const original = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging at 1002");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID: original });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished at 1001");
    const mark = s.events.length;

    const initiated = await s.request("site-a", { request: "RequestInitiateTransfer", thisDN: "1002", connID: original, otherDN: "1003" });
    expect(initiated.event).toMatchObject({ event: "EventDialing", thisDN: "1002", otherDN: "1003", transferConnID: original });
    const consult = initiated.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "EventRinging at 1003");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID: consult });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1002" && e.connID === consult, "consult established at 1002");

    const completed = await s.request("site-a", { request: "RequestCompleteTransfer", thisDN: "1002", connID: original, transferConnID: consult });
    expect(completed.event).toMatchObject({ event: "EventReleased", thisDN: "1002", connID: original, callState: 1 });
    await s.waitFor((e) => e.event === "EventPartyChanged" && e.thisDN === "1001", "EventPartyChanged at 1001");
    // the same T-Library events as the simulator's transfer (test/e2e/transfer.test.ts), from Cisco's sequence through the bridge
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
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1001" && e.connID === original, "EventReleased at 1001");
    await s.close();
  });
});
