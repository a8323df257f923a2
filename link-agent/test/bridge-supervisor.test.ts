// The agent's supervision of a JTAPI bridge process: started on demand, configuration on its stdin
// (nothing secret in its arguments or environment), its log relayed, restarted with back-off.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BridgeSupervisor, bridgeCommand, bridgeStdinConfig, bridgeTlsOptions } from "../src/bridge-supervisor.js";
import { LinkConfig } from "../src/config.js";
import { encodeFrame, FrameDecoder } from "../../shared/node/framing.js";
import { capturedLog } from "./helpers/logs.js";
import { BRIDGE_DIR, buildBridge, FAKE_PEER, GSON_JAR } from "./helpers/jtapi-bridge.js";
import type { LinkSocket } from "../src/switch-link-client.js";

const build = resolve(BRIDGE_DIR, "build");
const link = LinkConfig.parse({
  name: "link-1", host: "cucm-pub,cucm-sub1", port: 2748, user: "tserver", password: "link-password-1",
  bridge: { jtapiJar: `${build}/jtapi-stub.jar`, extraClasspath: [`${build}/jtapi-fake.jar`], bridgeJar: `${build}/jtapi-bridge.jar`, gsonJar: GSON_JAR, peer: FAKE_PEER },
});
const supervisors: BridgeSupervisor[] = [];
beforeAll(() => buildBridge(), 180_000);
afterEach(() => { for (const s of supervisors.splice(0)) s.stop(); });

/** hello over the socket the supervisor gave; resolves with the first frame back. */
async function hello(socket: LinkSocket): Promise<any> {
  const decoder = new FrameDecoder();
  const first = new Promise<any>((ok) => socket.on("data", (chunk: Buffer) => { const f = decoder.push(chunk); if (f.length) ok(f[0]); }));
  socket.write(encodeFrame({ type: "hello", protocol: 1, user: "tserver", password: "link-password-1", application: "test", link: "link-1" }));
  return first;
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("bridge supervisor", () => {
  it("starts the bridge on the first connect, relays its JSON log lines at their level, and keeps secrets off its command line and environment", async () => {
    const { log, lines } = capturedLog();
    const tls = { instanceId: "i-1", authCode: "auth-9876", tftpHost: "t", tftpPort: "69", capfHost: "c", capfPort: "3804", certPath: "/tmp/x", storePassphrase: "pass-5432" };
    const sup = new BridgeSupervisor(link, link.bridge!, tls, log);
    supervisors.push(sup);
    const socket = await sup.connect();
    expect(await hello(socket)).toMatchObject({ type: "welcome", cluster: "fakecluster" });
    socket.destroy();
    const pid = sup.pid!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    for (const secret of ["link-password-1", "auth-9876", "pass-5432"]) {
      expect(cmdline).not.toContain(secret);
      expect(environ).not.toContain(secret);
    }
    expect(cmdline.split("\0")).toContain("tserver.jtapibridge.Main");
    await until(() => lines.some((l) => l.msg === "jtapi bridge: provider opened"), "the relayed log line");
    expect(lines.find((l) => l.msg === "jtapi bridge: provider opened")).toMatchObject({ level: 30, link: "link-1", bridge: true, ctiManagers: "cucm-pub,cucm-sub1", tls: true });
    expect(lines.find((l) => l.msg === "jtapi bridge listening on loopback")).toMatchObject({ link: "link-1", port: expect.any(Number) });
    expect(JSON.stringify(lines)).not.toMatch(/auth-9876|pass-5432|link-password-1/);
  }, 30_000);

  it("starts a new bridge after one died, with back-off when it keeps dying", async () => {
    const { log, lines } = capturedLog();
    const sup = new BridgeSupervisor(link, link.bridge!, null, log, { backoff: { minMs: 400, maxMs: 400 } });
    supervisors.push(sup);
    const first = await sup.connect();
    expect(await hello(first)).toMatchObject({ type: "welcome" });
    const firstPid = sup.pid!;
    process.kill(firstPid, "SIGKILL");
    await until(() => lines.some((l) => l.msg === "jtapi bridge exited"), "the exit");
    expect(lines.find((l) => l.msg === "jtapi bridge exited")).toMatchObject({ level: 40, link: "link-1", signal: "SIGKILL", failures: 1 });
    const started = Date.now();
    const second = await sup.connect();
    // 400 ms ±25 % after the exit
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(lines.some((l) => l.msg === "jtapi bridge restarting after back-off")).toBe(true);
    expect(sup.pid).not.toBe(firstPid);
    expect(await hello(second)).toMatchObject({ type: "welcome" });
    second.destroy();
  }, 30_000);

  it("fails the connect with the reason when Java cannot be started", async () => {
    const { log, lines } = capturedLog();
    const bad = LinkConfig.parse({ ...link, bridge: { ...link.bridge, java: "/nonexistent/java" } });
    const sup = new BridgeSupervisor(bad, bad.bridge!, null, log);
    supervisors.push(sup);
    await expect(sup.connect()).rejects.toThrow(/cannot start \/nonexistent\/java/);
    expect(lines.find((l) => l.msg === "jtapi bridge failed to start")).toMatchObject({ level: 50, link: "link-1" });
  });

  it("derives the command line and the stdin configuration from the link", () => {
    expect(bridgeCommand(link, { ...link.bridge!, jvmOptions: ["-Xmx256m"] })).toEqual({
      command: "java",
      args: ["-Xmx256m", "-cp", `${build}/jtapi-stub.jar:${GSON_JAR}:${build}/jtapi-bridge.jar:${build}/jtapi-fake.jar`, "tserver.jtapibridge.Main"],
    });
    expect(bridgeStdinConfig(link, link.bridge!, null)).toEqual({ link: "link-1", ctiManagers: "cucm-pub,cucm-sub1", peer: FAKE_PEER });
  });

  it("maps link-tls and link-N options to JTAPI's security properties, or none when TLS is off or incomplete", () => {
    const { log, lines } = capturedLog();
    const linkTls = { password: "p", "tls-cert-path": "/var/lib/tserver", "tls-capf-host": "capf", "tls-capf-port": "3804", "tls-tftp-host": "tftp", "tls-tftp-port": "69" };
    expect(bridgeTlsOptions("link-1", linkTls, { "tls-instance-id": "tserver-a-link-1", "tls-auth-code": "123456" }, log)).toEqual({
      instanceId: "tserver-a-link-1", authCode: "123456", tftpHost: "tftp", tftpPort: "69", capfHost: "capf", capfPort: "3804", certPath: "/var/lib/tserver", storePassphrase: "p",
    });
    expect(bridgeTlsOptions("link-1", {}, {}, log)).toBeNull();
    expect(bridgeTlsOptions("link-1", { ...linkTls, "tls-capf-host": "" }, { "tls-instance-id": "x" }, log)).toBeNull();
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: "TLS off for link-1: mandatory option link-tls/tls-capf-host is not set; the JTAPI bridge connects without TLS" });
  });
});
