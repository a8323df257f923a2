// The command-line tool against the real system: provisioning, keys, DN objects, options, sessions,
// any request, and a readable tail of a session's events while a person at a phone places a call.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type Stack, startStack } from "./harness.js";

const run = promisify(execFile);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tenant: "cli" });
});
afterAll(async () => {
  await stack?.stop();
});

const env = (key?: string) => ({ ...process.env, TSERVER_API: stack.api, TSERVER_ADMIN_TOKEN: ADMIN, ...(key ? { TSERVER_KEY: key } : {}) });
async function tserver(args: string[], key?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/tserver.ts", ...args], { env: env(key), timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// each run of the tool starts a Node process with tsx: seconds each on a loaded machine
describe("npm run tserver", { timeout: 180_000 }, () => {
  it("provisions a tenant, a site, keys, DN objects and options", async () => {
    expect(JSON.parse((await tserver(["provision", "tenant", "acme"])).stdout)).toEqual({ tenant: "acme" });
    expect(JSON.parse((await tserver(["provision", "site", "acme", "paris"])).stdout)).toEqual({ tenant: "acme", site: "paris" });
    const config = JSON.parse((await tserver(["keys", "create", "acme", "--role", "config"])).stdout) as { key: string; role: string };
    expect(config.role).toBe("config");
    expect(config.key).toMatch(/^acme\./);
    const put = await tserver(["dns", "put", "paris", "4001", "--annex", "TServer.route-invalid-dest-action=logout"], config.key);
    expect(JSON.parse(put.stdout)).toEqual({ number: "4001", type: "Extension", annex: { TServer: { "route-invalid-dest-action": "logout" } } });
    expect(JSON.parse((await tserver(["dns", "list", "paris"], config.key)).stdout).dns).toHaveLength(1);
    const set = await tserver(["options", "set", "paris", "TServer", "client-disconnect-grace=3"], config.key);
    expect(JSON.parse(set.stdout)["client-disconnect-grace"]).toBe("3");
    const bad = await tserver(["options", "set", "paris", "TServer", "no-such-option=1"], config.key);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("tserver: HTTP 400: ");
    expect(bad.stderr).toContain("no-such-option");
    const listed = JSON.parse((await tserver(["keys", "list", "acme"])).stdout) as { keys: Array<{ role: string }> };
    expect(listed.keys.map((k) => k.role)).toEqual(["config"]);
  });

  it("sends any request in a session, and names a mistyped request's nearest name", async () => {
    const { sessionId } = JSON.parse((await tserver(["session"], stack.keys.client)).stdout) as { sessionId: string };
    const reg = await tserver(["request", "site-a", "RequestRegisterAddress", "thisDN=1003", "--session", sessionId], stack.keys.client);
    expect(reg.code, reg.stderr + reg.stdout).toBe(0);
    expect(reg.stdout).toMatch(/^200 referenceID=1 #\s+- \S+ site-a EventRegistered .*thisDN=1003/);
    const typo = await tserver(["request", "site-a", "RequestRegistrAddress", "thisDN=1003", "--session", sessionId], stack.keys.client);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain("did you mean RequestRegisterAddress");
  });

  it("tails a session's events readably while a call is placed at the phone", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/tserver.ts", "tail", "site-a", "1001", "1002"], { env: env(stack.keys.client), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const until = async (check: () => boolean, what: string) => {
      const end = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => /watching 1001 1002/.test(err), "the registrations");
      expect((await stack.simControl("POST", "/clusters/site-a/devices/1001/offhook", { dial: "1002" })).status).toBe(200);
      await until(() => /EventRinging/.test(out), "ringing");
      const lines = out.trim().split("\n").map((l) => l.replace(/\s+/g, " "));
      expect(lines.map((l) => l.split(" ").slice(4, 6).join(" "))).toEqual(expect.arrayContaining(["EventRegistered thisDN=1001", "EventRegistered thisDN=1002"]));
      expect(lines.find((l) => l.includes("EventDialing"))).toMatch(/site-a EventDialing .*thisDN=1001 .*otherDN=1002/);
      expect(lines.find((l) => l.includes("EventRinging"))).toMatch(/site-a EventRinging .*thisDN=1002 .*otherDN=1001/);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
      await stack.simControl("POST", "/clusters/site-a/devices/1001/hangup");
    }
  });
});
