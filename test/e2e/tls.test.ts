// TLS towards the CTIManager, end to end: options set through the API reach the agent over the uplink;
// the agent enrolls its links at CAPF, keeps an encrypted keystore, connects each link over TLS and
// carries a call; later it runs from the keystore alone; option changes act as documented.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

let stack: Stack;
let certPath: string;
beforeAll(async () => {
  stack = await startStack({ startAgents: false });
  certPath = join(mkdtempSync(join(tmpdir(), "agent-tls-")), "certs");
});
afterAll(async () => { await stack?.stop(); });

const put = async (section: string, body: Record<string, string>) => {
  const res = await fetch(`${stack.api}/v1/sites/site-a/options/${section}`, { method: "PUT", headers: { authorization: `Bearer ${stack.keys.config}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json() as Promise<Record<string, string>>;
};
const until = async (check: () => boolean, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const links = () => {
  const c = stack.sim.clusters["site-a"]!;
  return ["link-1", "link-2"].map((name) => ({ name, host: "127.0.0.1", port: c.linkPort, tlsPort: c.tls!.linkPort, user: "tserver", password: "ctimanager-demo-a" }));
};
const logSays = (re: RegExp) => stack.agentLog("site-a").some((l) => re.test(l.msg));
const countSaid = (re: RegExp) => stack.agentLog("site-a").filter((l) => re.test(l.msg)).length;

describe("TLS between the link agent and the CTIManager", () => {
  it("enrolls two links, keeps an encrypted keystore, connects both over TLS and carries a call", async () => {
    const tls = stack.sim.clusters["site-a"]!.tls!;
    const shown = await put("link-tls", {
      password: "keystore-e2e", "tls-cert-path": certPath,
      "tls-capf-host": "127.0.0.1", "tls-capf-port": String(tls.capfPort), "tls-tftp-host": "127.0.0.1", "tls-tftp-port": String(tls.tftpPort),
    });
    expect(shown.password).toBe("********"); // the API never returns a secret
    await put("link-1", { "tls-instance-id": "tserver-a-link-1", "tls-auth-code": "capf-a-1-2026" });
    expect((await put("link-2", { "tls-instance-id": "tserver-a-link-2", "tls-auth-code": "capf-a-2-2026" }))["tls-auth-code"]).toBe("********");

    await stack.startAgent("site-a", { links: links() });
    await until(() => countSaid(/switch link up/) >= 2, "both links up");
    expect(logSays(/link-1 connecting over TLS/) && logSays(/link-2 connecting over TLS/)).toBe(true);
    expect(existsSync(join(certPath, "tserver-a-link-1.p12")) && existsSync(join(certPath, "tserver-a-link-2.p12"))).toBe(true);
    expect([...stack.sim.tls("site-a")!.capf.issued.values()].sort()).toEqual(["tserver-a-link-1", "tserver-a-link-2"]);

    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1001", "1002");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    expect(made.event.event).toBe("EventDialing");
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging on 1002");
    expect((await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002" })).event.event).toBe("EventEstablished");
    expect((await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1001" })).event.event).toBe("EventReleased");
    await s.close();
  });

  it("after the auth codes are removed and the agent restarts, it connects from the keystore alone", async () => {
    await put("link-1", { "tls-instance-id": "tserver-a-link-1" });
    await put("link-2", { "tls-instance-id": "tserver-a-link-2" });
    await stack.agents["site-a"]!.stop();
    const linesBefore = stack.agentLog("site-a").length;
    await waitForLink(stack.api, stack.keys.client, "site-a", false);
    const before = countSaid(/switch link up/);
    await stack.startAgent("site-a", { links: links() });
    await until(() => countSaid(/switch link up/) >= before + 2, "both links up again");
    expect(stack.sim.tls("site-a")!.capf.issued.size).toBe(2); // nothing enrolled again
    expect(countSaid(/enrolled at CAPF/)).toBe(2);
    expect(stack.agentLog("site-a").slice(linesBefore).some((l) => /no longer needed/.test(l.msg))).toBe(false);
  });

  it("a new tls-instance-id through the API drops and reconnects that link only; a link-tls change waits for a restart", async () => {
    const downsBefore = stack.agentLog("site-a").filter((l) => l.msg === "switch link down").map((l) => l.link);
    const linesBefore = stack.agentLog("site-a").length;
    await put("link-2", { "tls-instance-id": "tserver-a-link-3", "tls-auth-code": "capf-a-3-2026" });
    await until(() => logSays(/options of link-2 changed: dropping and reconnecting link-2/), "link-2 reconnecting");
    await until(() => stack.agentLog("site-a").some((l) => l.msg === "client certificate enrolled at CAPF and stored in the keystore" && l.instanceId === "tserver-a-link-3"), "link-2 enrolled as tserver-a-link-3");
    const downsAfter = stack.agentLog("site-a").filter((l) => l.msg === "switch link down").map((l) => l.link);
    expect(downsAfter.slice(downsBefore.length)).toEqual(["link-2"]);
    expect(stack.agentLog("site-a").slice(linesBefore).some((l) => /options of link-1 changed/.test(l.msg))).toBe(false);

    const tls = stack.sim.clusters["site-a"]!.tls!;
    await put("link-tls", {
      password: "keystore-e2e", "tls-cert-path": certPath, "tls-capf-host": "localhost", "tls-capf-port": String(tls.capfPort),
      "tls-tftp-host": "127.0.0.1", "tls-tftp-port": String(tls.tftpPort),
    });
    await until(() => logSays(/link-tls changed: they take effect after the link agent restarts \(pending\)/), "pending notice");
  });
});
