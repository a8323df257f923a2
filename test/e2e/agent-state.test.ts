// Emulated agent state over real sockets: the requests, wrong-state errors, and survival of a restart
// of the control plane (workerd restarted on the same persisted state).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { WebSocket } from "undici";
import { TServerClient, type WebSocketCtor } from "../../shared/client.js";
import { provisionDemo } from "../../scripts/lib/provision.js";
import { ClientSession, type Stack, startStack } from "./harness.js";

const ADMIN = "restart-admin-token-0123456789abcdef";
const persist = mkdtempSync(join(tmpdir(), "tserver-state-"));
async function worker() {
  const w = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: { ADMIN_TOKEN: { type: "plain_text", value: ADMIN }, LOG_LEVEL: { type: "plain_text", value: "warn" } },
    dev: { persist, server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "error" },
  } as Parameters<typeof unstable_startWorker>[0]);
  await w.ready;
  return { w, api: (await w.url).toString().replace(/\/$/, "") };
}

let stack: Stack | undefined;
afterAll(async () => { await stack?.stop(); });

describe("agent state", () => {
  it("survives a restart of the control plane", async () => {
    const first = await worker();
    const keys = await provisionDemo(first.api, ADMIN, "restart", { "site-a": [{ number: "1001", type: "Extension", kind: "phone" }] });
    const client = (api: string) => new TServerClient({ api, key: keys.client, WebSocket: WebSocket as unknown as WebSocketCtor });
    const s1 = await ClientSession.open(client(first.api));
    await s1.register("site-a", "1001");
    await s1.request("site-a", { request: "RequestAgentLogin", thisDN: "1001", agentID: "agent-9", agentWorkMode: 1 });
    await s1.request("site-a", { request: "RequestAgentNotReady", thisDN: "1001", agentWorkMode: 4, reasons: { ReasonCode: "Training" } });
    s1.ws.close();
    await first.w.dispose();

    const second = await worker();
    try {
      const s2 = await ClientSession.open(client(second.api));
      const query = await s2.request("site-a", { request: "RequestQueryAddress", thisDN: "1001" });
      expect(query.event).toMatchObject({ event: "EventAddressInfo", agentID: "agent-9", agentState: "NotReady", agentWorkMode: 4 });
      s2.ws.close();
    } finally {
      await second.w.dispose();
    }
  });

  it("over real sockets: login, not ready, ready, DND, logout, and wrong-state requests get T-Library codes", async () => {
    stack = await startStack();
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1004", "1003");
    const ask = async (request: Record<string, unknown>) => (await s.request("site-a", { thisDN: "1004", ...request } as never)).event;
    expect(await ask({ request: "RequestAgentLogin", agentID: "a-4", agentWorkMode: 2 })).toMatchObject({ event: "EventAgentLogin", agentWorkMode: 2 });
    expect(await ask({ request: "RequestAgentNotReady", agentWorkMode: 3 })).toMatchObject({ event: "EventAgentNotReady", agentWorkMode: 3 });
    expect(await ask({ request: "RequestAgentReady", agentWorkMode: 1 })).toMatchObject({ event: "EventAgentReady", agentWorkMode: 1 });
    expect(await ask({ request: "RequestSetDNDOn" })).toMatchObject({ event: "EventDNDOn" });
    expect(await ask({ request: "RequestSetDNDOff" })).toMatchObject({ event: "EventDNDOff" });
    expect(await ask({ request: "RequestAgentLogout" })).toMatchObject({ event: "EventAgentLogout", agentID: "a-4" });
    expect((await ask({ request: "RequestAgentLogout" })).errorCode).toBe(43);

    // wrong states of calls: answer what is not ringing, hold twice, retrieve nothing
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1004", otherDN: "1003" });
    const connID = made.event.connID!;
    expect((await ask({ request: "RequestAnswerCall", connID })).errorCode).toBe(51);
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "ringing at 1003");
    await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1003", connID });
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1004", "established at 1004");
    expect((await ask({ request: "RequestAnswerCall", connID })).errorCode).toBe(43);
    expect((await ask({ request: "RequestRetrieveCall", connID })).errorCode).toBe(43);
    expect((await ask({ request: "RequestHoldCall", connID })).event).toBe("EventHeld");
    expect((await ask({ request: "RequestHoldCall", connID })).errorCode).toBe(43);
    expect((await s.request("site-a", { request: "RequestRetrieveCall", thisDN: "1003" })).event.errorCode).toBe(56);
    await ask({ request: "RequestReleaseCall", connID });
    await s.close();
  });
});
