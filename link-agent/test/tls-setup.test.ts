// TLS towards the CTIManager: TFTP trust, CAPF enrollment, the keystore, and every refusal,
// checked with tools nobody here wrote (openssl, tftp-hpa) where they say something.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { startSimulator, type Simulator, TRUST_FILE } from "../../infra/ucm-sim/src/index.js";
import { prepareTls, type TlsDecision } from "../src/tls/tls-setup.js";
import { keystoreFile } from "../src/tls/keystore.js";
import { tftpGet } from "../src/tls/tftp-client.js";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const opensslAvailable = has("openssl");
const tftpClientAvailable = has("tftp");
const tftpdPath = ["/usr/sbin/in.tftpd", "/usr/sbin/tftpd"].find((p) => existsSync(p));
if (!opensslAvailable || !tftpClientAvailable || !tftpdPath) console.warn("tls tests: openssl, tftp or in.tftpd missing: those checks are skipped (CI installs them: .ci/run)");

function logger() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const log = pino({ level: "info" }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines, said: (re: RegExp) => lines.some((l) => re.test(l.msg)) };
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ config: JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8")) });
});
afterAll(async () => { await sim.stop(); });

const linkTls = (certPath: string, password = "keystore-pass") => ({
  password, "tls-cert-path": certPath, "tls-capf-host": "127.0.0.1", "tls-capf-port": String(sim.clusters["site-a"]!.tls!.capfPort),
  "tls-tftp-host": "127.0.0.1", "tls-tftp-port": String(sim.clusters["site-a"]!.tls!.tftpPort),
});
const link = (name: string, instanceId?: string, authCode?: string) => ({ name, host: "127.0.0.1", section: { ...(instanceId ? { "tls-instance-id": instanceId } : {}), ...(authCode ? { "tls-auth-code": authCode } : {}) } });
const modes = (d: Map<string, TlsDecision>) => Object.fromEntries([...d].map(([k, v]) => [k, v.mode]));

describe("TLS set-up of the links", () => {
  const certPath = join(mkdtempSync(join(tmpdir(), "tls-")), "certs");

  it("enrolls two links with distinct instance IDs and keeps them in an encrypted keystore", async () => {
    const { log, said } = logger();
    const d = await prepareTls(linkTls(certPath), [link("link-1", "tserver-a-link-1", "capf-a-1-2026"), link("link-2", "tserver-a-link-2", "capf-a-2-2026")], log);
    expect(modes(d)).toEqual({ "link-1": "tls", "link-2": "tls" });
    expect(said(/first time and trusted/)).toBe(true);
    expect(statSync(certPath).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(certPath)) {
      expect(statSync(join(certPath, f)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(certPath, f)).toString("latin1")).not.toContain("PRIVATE KEY");
    }
    expect(readdirSync(certPath).sort()).toEqual([TRUST_FILE, "tserver-a-link-1.p12", "tserver-a-link-2.p12"]);
  });

  it.skipIf(!opensslAvailable)("openssl opens the keystore with the password and not without it; openssl verify accepts the certificate against the cluster CA", () => {
    const file = keystoreFile(certPath, "tserver-a-link-1");
    const certs = execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:keystore-pass", "-nokeys"]).toString();
    expect(certs).toContain("subject=CN = tserver-a-link-1");
    const keys = execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:keystore-pass", "-nocerts", "-nodes"]).toString();
    expect(keys).toContain("PRIVATE KEY");
    expect(spawnSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:wrong", "-nokeys"]).status).not.toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "verify-"));
    writeFileSync(join(dir, "ca.pem"), sim.tls("site-a")!.pki.caCertPem);
    writeFileSync(join(dir, "client.pem"), execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:keystore-pass", "-nokeys", "-clcerts"]));
    expect(execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "client.pem")]).toString()).toContain(": OK");
  });

  it("runs from the keystore alone once the auth codes are removed, and says a leftover code should go", async () => {
    const issued = sim.tls("site-a")!.capf.issued.size;
    const { log, said } = logger();
    const d = await prepareTls(linkTls(certPath), [link("link-1", "tserver-a-link-1"), link("link-2", "tserver-a-link-2", "capf-a-2-2026")], log);
    expect(modes(d)).toEqual({ "link-1": "tls", "link-2": "tls" });
    expect(sim.tls("site-a")!.capf.issued.size).toBe(issued);
    expect(said(/link-2 already has its certificate: tls-auth-code is no longer needed and should be removed/)).toBe(true);
    expect(said(/link-1 already has/)).toBe(false);
  });

  it("refuses a wrong keystore password", async () => {
    const { log, said } = logger();
    const d = await prepareTls(linkTls(certPath, "not-the-password"), [link("link-1", "tserver-a-link-1")], log);
    expect(modes(d)).toEqual({ "link-1": "refused" });
    expect(said(/wrong password/)).toBe(true);
  });

  it("refuses the same instance ID on two links before any connection", async () => {
    const { log, said, lines } = logger();
    const d = await prepareTls(linkTls(certPath), [link("link-1", "tserver-a-link-1"), link("link-2", "tserver-a-link-1")], log);
    expect(modes(d)).toEqual({ "link-1": "refused", "link-2": "refused" });
    expect(said(/tls-instance-id tserver-a-link-1 is configured on link-1 and link-2/)).toBe(true);
    expect(lines.some((l) => /first time/.test(l.msg))).toBe(false);
  });

  it("refuses a reused authorization code", async () => {
    const fresh = join(mkdtempSync(join(tmpdir(), "tls-")), "certs");
    const { log, said } = logger();
    const d = await prepareTls(linkTls(fresh), [link("link-1", "tserver-a-link-1", "capf-a-1-2026")], log);
    expect(modes(d)).toEqual({ "link-1": "refused" });
    expect(said(/already used/)).toBe(true);
  });

  it("refuses every TLS link when the server certificate changed since its first download", async () => {
    const copy = join(mkdtempSync(join(tmpdir(), "tls-")), "certs");
    await prepareTls(linkTls(copy), [link("link-3", "tserver-a-link-3", "capf-a-3-2026")], logger().log);
    writeFileSync(join(copy, TRUST_FILE), readFileSync(join(copy, TRUST_FILE), "utf8").replace("BEGIN CERTIFICATE", "BEGIN  CERTIFICATE"));
    const { log, said } = logger();
    const d = await prepareTls(linkTls(copy), [link("link-3", "tserver-a-link-3")], log);
    expect(modes(d)).toEqual({ "link-3": "refused" });
    expect(said(/the server certificate changed since its first download: refusing to connect/)).toBe(true);
  });

  it("turns TLS off for a link when a mandatory option is removed, and says which", async () => {
    const { log, said } = logger();
    const { "tls-capf-port": _gone, ...partial } = linkTls(certPath);
    const d = await prepareTls(partial, [link("link-1", "tserver-a-link-1")], log);
    expect(modes(d)).toEqual({ "link-1": "plain" });
    expect(said(/TLS off for link-1: mandatory option link-tls\/tls-capf-port is not set/)).toBe(true);
    const d2 = await prepareTls(linkTls(certPath), [link("link-1")], logger().log);
    expect(modes(d2)).toEqual({ "link-1": "plain" });
  });
});

describe("TFTP interoperability", () => {
  it.skipIf(!tftpdPath)("the agent's TFTP client fetches a file from tftpd-hpa", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tftpd-"));
    const content = Buffer.from("-----BEGIN CERTIFICATE-----\n" + "A".repeat(1400) + "\n-----END CERTIFICATE-----\n");
    writeFileSync(join(dir, "CallManager.pem"), content);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const tftpd = spawn(tftpdPath!, ["--foreground", "--address", `127.0.0.1:${port}`, "--secure", dir, "--user", "root"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect((await tftpGet("127.0.0.1", port, "CallManager.pem")).equals(content)).toBe(true);
    } finally {
      tftpd.kill();
    }
  });

  it.skipIf(!tftpClientAvailable)("the tftp-hpa client fetches the certificate file from the simulator's TFTP server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tftp-"));
    const target = join(dir, "got.pem");
    const port = sim.clusters["site-a"]!.tls!.tftpPort;
    // asynchronously: the simulator's TFTP server runs in this very process
    const tftp = spawn("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", TRUST_FILE, target], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    tftp.stdout.on("data", (c) => (output += c));
    tftp.stderr.on("data", (c) => (output += c));
    const code = await new Promise<number | null>((resolve) => tftp.on("exit", resolve));
    expect(code, output).toBe(0);
    expect(readFileSync(target).equals(sim.tls("site-a")!.pki.trustFile)).toBe(true);
  });
});
