// `npm start` as a user runs it, on a port of its own and in a directory of its own (symlinks to this
// checkout, so that its .local/ is not the developer's): .local/demo.json names a usable system the
// moment it appears, the README's example call works verbatim, and npm start takes every process down
// when npm or the script is killed with -9 or when npm's parent dies.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/control-plane.js";
import { descendants } from "../../scripts/lib/proc-stats.js";

const run = promisify(execFile);
const repo = resolve(".");
const dirs: string[] = [];
const started: number[] = [];

/** A directory that looks like a clone of this checkout (its own .local/ and .wrangler/). */
function cloneDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tserver-npm-start-"));
  dirs.push(dir);
  for (const name of readdirSync(repo)) {
    if ([".local", ".wrangler", ".git", "dist", "test"].includes(name)) continue;
    symlinkSync(join(repo, name), join(dir, name));
  }
  return dir;
}

/** Running (a zombie waiting to be reaped counts as gone). */
const alive = (pid: number) => { try { return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; } };

async function until<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function output(child: ChildProcess): () => string {
  let text = "";
  child.stdout?.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (text += c.toString()));
  return () => text;
}

/** The JSON values of a text in which they follow each other, with or without whitespace between. */
function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") { if (depth++ === 0) start = i; }
    else if ((ch === "}" || ch === "]") && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}

/** Every process under `root` is gone within the time npm start allows its children to stop. */
async function allGone(pids: number[]): Promise<number[]> {
  const end = Date.now() + 20_000;
  while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

afterAll(() => {
  // whatever a failed test left behind
  for (const pid of started.filter(alive)) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm start", { timeout: 240_000 }, () => {
  it("writes demo.json once a call can be made at once, runs the README's example verbatim, and goes with a kill -9 of npm", async () => {
    const dir = cloneDir();
    const port = await freePort();
    const npm = spawn("npm", ["start"], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
    started.push(npm.pid!);
    const out = output(npm);
    const demoPath = join(dir, ".local", "demo.json");
    const demo = await until(`demo.json (output: ${out()})`, 150_000, () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited: ${out()}`);
      if (!existsSync(demoPath)) return undefined;
      try { return JSON.parse(readFileSync(demoPath, "utf8")) as { api: string; keys: { client: string } }; } catch { return undefined; }
    });
    started.push(...descendants(npm.pid!));
    expect(demo.api).toBe(`http://127.0.0.1:${port}`);

    // a script that reads demo.json and calls at once: no error 54 (link down), on either site
    const headers = { authorization: `Bearer ${demo.keys.client}`, "content-type": "application/json" };
    const { sessionId } = (await (await fetch(`${demo.api}/v1/sessions`, { method: "POST", headers })).json()) as { sessionId: string };
    for (const [site, from, to] of [["site-a", "1003", "1004"], ["site-b", "2003", "2004"]] as const) {
      const send = async (body: object) => {
        const res = await fetch(`${demo.api}/v1/sites/${site}/requests`, { method: "POST", headers, body: JSON.stringify({ sessionId, ...body }) });
        return { status: res.status, body: (await res.json()) as { event: { event: string; errorCode?: number } } };
      };
      expect((await send({ request: "RequestRegisterAddress", thisDN: from })).body.event.event).toBe("EventRegistered");
      const made = await send({ request: "RequestMakeCall", thisDN: from, otherDN: to });
      expect(made.body.event, JSON.stringify(made.body)).toMatchObject({ event: "EventDialing" });
      expect((await send({ request: "RequestReleaseCall", thisDN: from })).body.event.event).toBe("EventReleased");
    }

    // the README's example, as written, in a shell at the clone's root
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## An example call with curl and a WebSocket client"));
    const block = /```\n([\s\S]*?)```/.exec(section)![1]!;
    const { stdout } = await run("bash", ["-c", block], { cwd: dir, timeout: 60_000 });
    // the WebSocket client and curl write to one terminal: a line may hold one's output inside the other's
    const lines = jsonValues(stdout);
    const answers = lines.filter((l): l is { referenceID: number; event: { event: string } } => !Array.isArray(l) && typeof (l as { referenceID?: unknown }).referenceID === "number" && !("seq" in (l as object)));
    expect(answers.map((a) => a.event.event)).toEqual(["EventRegistered", "EventRegistered", "EventDialing", "EventEstablished", "EventReleased"]);
    const stream = lines.filter((l) => !answers.includes(l as never)).flat() as Array<{ event: string; seq: number; thisDN: string; connID?: string; thisDNRole?: number; otherDN?: string }>;
    expect(stream.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stream.map((e) => `${e.event} ${e.thisDN}`).slice(0, 4)).toEqual(["EventRegistered 1001", "EventRegistered 1002", "EventDialing 1001", "EventRinging 1002"]);
    expect(stream.slice(4, 6).map((e) => `${e.event} ${e.thisDN}`).sort()).toEqual(["EventEstablished 1001", "EventEstablished 1002"]);
    expect(stream.slice(6).map((e) => `${e.event} ${e.thisDN}`).sort()).toEqual(["EventReleased 1001", "EventReleased 1002"]);
    expect(stream[2]).toMatchObject({ thisDNRole: 1, otherDN: "1002" });
    expect(stream[3]).toMatchObject({ thisDNRole: 2 });
    expect(new Set(stream.slice(2).map((e) => e.connID)).size).toBe(1);

    // kill -9 of npm itself: sh, tsx and start.ts are left behind by it, and must take everything down
    const tree = descendants(npm.pid!);
    expect(tree.length).toBeGreaterThan(6);
    npm.kill("SIGKILL");
    expect(await allGone(tree)).toEqual([]);
    expect(await fetch(`${demo.api}/healthz`).then(() => "answered", () => "refused")).toBe("refused");
  });

  it("goes with a kill -9 of the script itself: its reaper ends the children", async () => {
    const dir = cloneDir();
    const port = await freePort();
    const npm = spawn("npm", ["start"], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
    started.push(npm.pid!);
    const out = output(npm);
    await until(`the system up (output: ${out()})`, 150_000, () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited: ${out()}`);
      return /CUCM T-Server is up/.test(out()) ? true : undefined;
    });
    const tree = descendants(npm.pid!);
    started.push(...tree);
    const script = tree.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("scripts/start.ts") && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--import"))!;
    expect(script).toBeDefined();
    process.kill(script, "SIGKILL");
    expect(await allGone(tree)).toEqual([]);
    expect(existsSync(join(dir, ".local", "demo.json"))).toBe(false);
  });

  it("goes when the program that ran npm start dies without a word", async () => {
    const dir = cloneDir();
    const port = await freePort();
    // a supervisor (here a shell) that runs npm start and is then killed with -9: npm is re-parented
    const shell = spawn("bash", ["-c", "npm start & wait"], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
    started.push(shell.pid!);
    const out = output(shell);
    await until(`the system up (output: ${out()})`, 150_000, () => {
      if (shell.exitCode !== null) throw new Error(`npm start exited: ${out()}`);
      return /CUCM T-Server is up/.test(out()) ? true : undefined;
    });
    const tree = descendants(shell.pid!);
    started.push(...tree);
    expect(tree.length).toBeGreaterThan(6);
    shell.kill("SIGKILL");
    expect(await allGone(tree)).toEqual([]);
    // demo.json named the running system: a script that reads it now must not find a dead one's
    expect(existsSync(join(dir, ".local", "demo.json"))).toBe(false);
    expect(existsSync(join(dir, ".local", "demo.last.json"))).toBe(true);
  });
});
