// `npm start`: the whole system on this machine. The control plane under `wrangler dev` (workerd, state
// in .local/state), two simulated UCM clusters joined by a trunk, one link agent per site, and the demo
// provisioning. Writes .local/demo.json once the links are up; however it ends (Ctrl-C, SIGTERM, the
// terminal closing, its parent dying, a kill -9 of npm or of this process through the reaper) it takes
// its children down.
import { spawn } from "node:child_process";
import { chmodSync, fstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { join } from "node:path";
import { type Child, startChild, waitForHttp } from "./lib/processes.js";
import { type DnPlan, dnObjectFor, provisionDemo } from "./lib/provision.js";
import { readSimPlan } from "./lib/sim-plan.js";
import { brokenLink, invocationChain } from "./lib/invocation.js";

const local = ".local";
const logs = join(local, "logs");
const port = Number(process.env.PORT ?? 8787);
const api = `http://127.0.0.1:${port}`;
const simConfig = process.env.UCM_SIM_CONFIG ?? "infra/ucm-sim/config/demo.json";
/** `npm start -- --backup` (or TSERVER_BACKUP_AGENTS=1): a second, standby link agent per site (high availability). */
const withBackup = process.argv.includes("--backup") || process.env.TSERVER_BACKUP_AGENTS === "1";
const children: Child[] = [];
let stopping = false;

async function stopAll(code: number): Promise<void> {
  // Ctrl-C reaches every process of the group, and tsx relays it once more: stop once
  if (stopping) return;
  stopping = true;
  console.log("\nstopping...");
  // agents first, so that they do not report the others going away as faults
  for (const child of [...children].reverse()) await child.stop();
  // demo.json names a running system: put it aside (the next start reuses its keys)
  try { renameSync(join(local, "demo.json"), join(local, "demo.last.json")); } catch { /* not written */ }
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
// the terminal closed
process.on("SIGHUP", () => void stopAll(0));
// started by another program through a pipe: that program went away
if (isPipe(0)) {
  process.stdin.resume();
  process.stdin.once("end", () => void stopAll(0));
}
// the parent (npm, a supervisor) died without telling us: we were re-parented; or one of the processes
// that wrap this invocation (tsx, npm's sh, npm) was killed, or npm's own parent died
const parent = process.ppid;
const chain = invocationChain();
setInterval(() => { if (process.ppid !== parent || brokenLink(chain)) void stopAll(0); }, 1000).unref();
// and should this process die by SIGKILL, the reaper (a process of its own) ends the children
const reaper = spawn(process.execPath, ["scripts/lib/reaper.mjs"], { stdio: ["pipe", "ignore", "ignore"], detached: true });
reaper.unref();
const track = (child: Child) => reaper.stdin!.write(`${child.proc.pid}\n`);

function isPipe(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

function readJson<T>(path: string): T | undefined {
  try { return JSON.parse(readFileSync(path, "utf8")) as T; } catch { return undefined; }
}

function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Set once the system is up: from then on the control plane and the link agents are restarted when they die. */
let up = false;

/**
 * Starts a child and watches it. Before the system is up, or for a child that cannot come back by itself
 * (the simulator is the switch: its calls and ports would be gone), a death takes the whole demo down,
 * loudly. Once it is up, a restartable child (the control plane, a link agent) is started again after a
 * back-off, and the console says so: that is what the agent's buffer and the uplink's resend are for.
 */
function watch(start: () => Child, logFile: string, restartable = false): Child {
  let restarts = 0;
  let child = start();
  const attach = (c: Child) => {
    children.push(c);
    track(c);
    const startedAt = Date.now();
    c.proc.once("exit", (code, signal) => {
      if (stopping) return;
      children.splice(children.indexOf(c), 1);
      if (!up || !restartable) {
        console.error(`${c.name} exited (${signal ?? code}); its log is ${logFile}`);
        return void stopAll(1);
      }
      // a child that ran for a minute starts its back-off afresh
      if (Date.now() - startedAt > 60_000) restarts = 0;
      const delay = Math.min(30_000, 1000 * 2 ** restarts++);
      console.error(`${c.name} exited (${signal ?? code}); restarting it in ${delay / 1000} s (its log is ${logFile})`);
      setTimeout(() => {
        if (stopping) return;
        child = start();
        attach(child);
        console.error(`${child.name} restarted (pid ${child.proc.pid})`);
      }, delay).unref();
    });
  };
  attach(child);
  return child;
}

/**
 * `wrangler dev` can stay alive with its workerd gone (killed, crashed): the API then refuses while the
 * process looks healthy. Three failed health checks in a row stop wrangler, which watch() restarts.
 */
function superviseApi(getWrangler: () => Child | undefined): void {
  let failures = 0;
  setInterval(async () => {
    if (stopping) return;
    const ok = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    failures = ok ? 0 : failures + 1;
    if (failures < 3) return;
    failures = 0;
    const wrangler = getWrangler();
    if (!wrangler) return;
    console.error(`the control plane at ${api} did not answer three health checks: restarting wrangler`);
    void wrangler.stop();
  }, 5000).unref();
}

async function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer().once("error", () => resolve(false)).once("listening", () => probe.close(() => resolve(true)));
    probe.listen(p, "127.0.0.1");
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  if (!(await portFree(port))) throw new Error(`port ${port} is in use (is another \`npm start\` running?); choose another with PORT=<port> npm start`);
  mkdirSync(local, { recursive: true, mode: 0o700 });
  mkdirSync(logs, { recursive: true });
  const previous = readJson<{ adminToken?: string; keys?: any }>(join(local, "demo.json")) ?? readJson<{ adminToken?: string; keys?: any }>(join(local, "demo.last.json"));
  // a demo.json names a usable system: the old one goes until this one is up
  rmSync(join(local, "demo.json"), { force: true });
  const adminToken = previous?.adminToken ?? randomBytes(24).toString("base64url");
  const tsx = ["--import", "tsx"];

  // 1. the simulated clusters
  const readyFile = join(local, "sim-ready.json");
  const sim = watch(() => startChild("ucm-sim", process.execPath, [...tsx, "infra/ucm-sim/src/main.ts", "--config", simConfig, "--ready-file", readyFile], { logFile: join(logs, "ucm-sim.log") }), join(logs, "ucm-sim.log"));
  // 2. the control plane, under wrangler dev with its state kept in .local/state
  watch(() => startChild("wrangler", process.execPath, [
    "node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(local, "state"),
    // log level "log": the worker's own console lines (JSON, log.ts) reach .local/logs/worker.log
    "--var", `ADMIN_TOKEN:${adminToken}`, "--show-interactive-dev-session=false", "--log-level", "log",
  ], { env: { WRANGLER_SEND_METRICS: "false" }, logFile: join(logs, "worker.log") }), join(logs, "worker.log"), true);

  const simReadyLine = await sim.waitFor(/^ucm-sim ready /, 30_000);
  const simReady = JSON.parse(simReadyLine.replace(/^ucm-sim ready /, "")) as { controlUrl: string; clusters: Record<string, { linkHost?: string; linkPort: number }> };
  await waitForHttp(`${api}/v1/openapi.json`, 60_000);

  // 3. the demo tenant, its sites, DN objects and keys (keys of an earlier run are kept while they work)
  const simPlan = readSimPlan(simConfig);
  const plan: DnPlan = Object.fromEntries(Object.entries(simPlan.devices).map(([site, devices]) => [site, devices.map((d) => dnObjectFor(d.dn, d.kind))]));
  const keys = await provisionDemo(api, adminToken, "demo", plan, previous?.keys);

  // 4. one link agent per site, and with --backup a standby one each. The Site makes the first agent to say
  // hello active (no fail-back: docs/uplink.md "High availability"), so each backup starts only once its
  // primary is active: started together, the backup could win the race and the roles would read backwards.
  const agentHttp: Record<string, Promise<string | null>> = {};
  const startAgent = (site: string, role: "primary" | "backup") => {
    const cluster = simReady.clusters[site]!;
    const user = simPlan.users[site]!;
    const name = role === "primary" ? site : `${site}-backup`;
    const configPath = join(local, `link-agent-${name}.json`);
    writeSecretFile(configPath, JSON.stringify({
      site,
      agentId: `${site}-${role}`,
      role,
      controlPlane: { url: api, linkKey: keys.link[site] },
      links: [{ name: "link-1", host: cluster.linkHost ?? "127.0.0.1", port: cluster.linkPort, user: user.user, password: user.password }],
      log: { level: "info" },
      // health and metrics on a free loopback port, found in the agent's log line below
      http: { host: "127.0.0.1", port: 0 },
    }, null, 2));
    const agentLog = join(logs, `link-agent-${name}.log`);
    const agent = watch(() => startChild(`agent ${name}`, process.execPath, [...tsx, "link-agent/src/main.ts", "--config", configPath], { logFile: agentLog }), agentLog, true);
    agentHttp[name] = agent.waitFor(/health and metrics server listening/, 30_000).then((line) => (JSON.parse(line) as { url: string }).url).catch(() => null);
  };
  const sites = Object.keys(simReady.clusters);
  for (const site of sites) startAgent(site, "primary");
  if (withBackup) {
    await waitForLinks(api, keys.client, sites, 20_000);
    for (const site of sites) startAgent(site, "backup");
    await waitForStandbys(api, keys.client, sites, 20_000);
  }

  const demo = {
    api,
    web: `${api}/`,
    adminToken,
    tenant: "demo",
    keys,
    sim: { control: simReady.controlUrl },
    agents: Object.fromEntries(await Promise.all(Object.entries(agentHttp).map(async ([site, url]) => [site, { http: await url }] as const))) as Record<string, { http: string | null }>,
    sites: Object.fromEntries(Object.entries(plan).map(([site, dns]) => [site, {
      dns: dns.map((d) => ({ number: d.number, type: d.type, ...(d.switchSpecificType ? { switchSpecificType: d.switchSpecificType } : {}), kind: d.kind })),
      ...(simPlan.remoteDestinations[site] ? { remoteDestinations: simPlan.remoteDestinations[site] } : {}),
    }])),
  };
  await waitForLinks(api, keys.client, Object.keys(plan), 20_000);
  writeSecretFile(join(local, "demo.json"), JSON.stringify(demo, null, 2));
  reaper.stdin!.write(`demo ${join(process.cwd(), local, "demo.json")}\n`);
  up = true;
  superviseApi(() => children.find((c) => c.name === "wrangler"));

  console.log(`
CUCM T-Server is up (${((Date.now() - t0) / 1000).toFixed(1)} s)
  API        ${api}            (OpenAPI: ${api}/v1/openapi.json)
  console    ${api}/           (paste the client key; API reference: ${api}/v1/docs)
${Object.entries(demo.agents).map(([site, a]) => `  agent      ${site}: ${a.http ?? "-"}/metrics`).join("\n")}
  simulator  ${simReady.controlUrl}
  keys       client ${keys.client}
             config ${keys.config}
  admin      ${adminToken}
${Object.entries(plan).map(([site, dns]) => `  ${site.padEnd(10)} ${dns.map((d) => `${d.number}${d.kind === "phone" ? "" : `(${d.kind})`}`).join(" ")}`).join("\n")}
Link agents: ${withBackup ? "a primary and a standby backup per site (stop a primary's process to see the switchover)" : "one per site (npm start -- --backup adds a standby backup per site)"}.
Everything above is in .local/demo.json; logs are in .local/logs/.

Watch DNs and place a call (in another terminal):
  npm run watch -- site-a 1001 1002          # a client session that prints the event stream
  npm run demo:call                           # 1001 calls 1002 on site-a: ring, answer, hold, retrieve, release
  npm run sim:cli -- offhook site-a 1001 --dial 1002   # or act as the person at the phone
Ctrl-C stops everything. Should the control plane or a link agent die, it is restarted (and said so here).`);
}

async function waitForLinks(api: string, clientKey: string, sites: string[], ms: number): Promise<void> {
  let end = Date.now() + ms;
  for (const site of sites) {
    for (;;) {
      const res = await fetch(`${api}/v1/sites/${site}`, { headers: { authorization: `Bearer ${clientKey}` } }).catch(() => undefined);
      if (res?.ok && ((await res.json()) as { linkUp: boolean }).linkUp) break;
      if (Date.now() > end) {
        // demo.json is written once the links are up (scripts that read it may call at once)
        console.warn(`warning: the link of ${site} is not up yet; waiting (see .local/logs/link-agent-${site}.log)`);
        end = Date.now() + ms;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Waits until each site's backup agent is connected, as the standby (its primary is the active one). */
async function waitForStandbys(api: string, clientKey: string, sites: string[], ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (const site of sites) {
    for (;;) {
      const res = await fetch(`${api}/v1/sites/${site}`, { headers: { authorization: `Bearer ${clientKey}` } }).catch(() => undefined);
      const status = res?.ok ? ((await res.json()) as { activeAgent: string | null; agents: Array<{ agentId: string; active: boolean }> }) : undefined;
      if (status?.agents.some((a) => a.agentId === `${site}-backup` && !a.active)) {
        if (status.activeAgent !== `${site}-primary`) console.warn(`warning: on ${site} the active agent is ${status.activeAgent ?? "none"}, not ${site}-primary`);
        break;
      }
      if (Date.now() > end) {
        console.warn(`warning: the backup agent of ${site} is not connected yet (see .local/logs/link-agent-${site}-backup.log)`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

main().catch(async (err) => {
  console.error(`npm start failed: ${(err as Error).message}`);
  await stopAll(1);
});

