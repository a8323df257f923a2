// `npm start`: the whole system on this machine. The control plane under `wrangler dev` (workerd, state
// in .local/state), two simulated UCM clusters joined by a trunk, one link agent per site, and the demo
// provisioning. Writes .local/demo.json; Ctrl-C stops every process.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { join } from "node:path";
import { type Child, startChild, waitForHttp } from "./lib/processes.js";
import { type DnPlan, dnObjectFor, provisionDemo } from "./lib/provision.js";
import { readSimPlan } from "./lib/sim-plan.js";

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
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

function readJson<T>(path: string): T | undefined {
  try { return JSON.parse(readFileSync(path, "utf8")) as T; } catch { return undefined; }
}

function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** A child that dies while the system runs takes the whole demo down, loudly. */
function watch(child: Child, logFile: string): Child {
  child.proc.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${child.name} exited (${signal ?? code}); its log is ${logFile}`);
    void stopAll(1);
  });
  children.push(child);
  return child;
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
  const previous = readJson<{ adminToken?: string; keys?: any }>(join(local, "demo.json"));
  const adminToken = previous?.adminToken ?? randomBytes(24).toString("base64url");
  const tsx = ["--import", "tsx"];

  // 1. the simulated clusters
  const readyFile = join(local, "sim-ready.json");
  const sim = watch(startChild("ucm-sim", process.execPath, [...tsx, "infra/ucm-sim/src/main.ts", "--config", simConfig, "--ready-file", readyFile], { logFile: join(logs, "ucm-sim.log") }), join(logs, "ucm-sim.log"));
  // 2. the control plane, under wrangler dev with its state kept in .local/state
  watch(startChild("wrangler", process.execPath, [
    "node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(local, "state"),
    "--var", `ADMIN_TOKEN:${adminToken}`, "--show-interactive-dev-session=false", "--log-level", "warn",
  ], { env: { WRANGLER_SEND_METRICS: "false" }, logFile: join(logs, "worker.log") }), join(logs, "worker.log"));

  const simReadyLine = await sim.waitFor(/^ucm-sim ready /, 30_000);
  const simReady = JSON.parse(simReadyLine.replace(/^ucm-sim ready /, "")) as { controlUrl: string; clusters: Record<string, { linkHost?: string; linkPort: number }> };
  await waitForHttp(`${api}/v1/openapi.json`, 60_000);

  // 3. the demo tenant, its sites, DN objects and keys (keys of an earlier run are kept while they work)
  const simPlan = readSimPlan(simConfig);
  const plan: DnPlan = Object.fromEntries(Object.entries(simPlan.devices).map(([site, devices]) => [site, devices.map((d) => dnObjectFor(d.dn, d.kind))]));
  const keys = await provisionDemo(api, adminToken, "demo", plan, previous?.keys);

  // 4. one link agent per site, and with --backup a standby one each (the Site makes it active when the primary goes)
  for (const [site, cluster] of Object.entries(simReady.clusters)) {
    const user = simPlan.users[site]!;
    for (const role of withBackup ? ["primary", "backup"] as const : ["primary"] as const) {
      const name = role === "primary" ? site : `${site}-backup`;
      const configPath = join(local, `link-agent-${name}.json`);
      writeSecretFile(configPath, JSON.stringify({
        site,
        agentId: `${site}-${role}`,
        role,
        controlPlane: { url: api, linkKey: keys.link[site] },
        links: [{ name: "link-1", host: cluster.linkHost ?? "127.0.0.1", port: cluster.linkPort, user: user.user, password: user.password }],
        log: { level: "info" },
      }, null, 2));
      const agentLog = join(logs, `link-agent-${name}.log`);
      watch(startChild(`agent ${name}`, process.execPath, [...tsx, "link-agent/src/main.ts", "--config", configPath], { logFile: agentLog }), agentLog);
    }
  }

  const demo = {
    api,
    web: `${api}/`,
    adminToken,
    tenant: "demo",
    keys,
    sim: { control: simReady.controlUrl },
    sites: Object.fromEntries(Object.entries(plan).map(([site, dns]) => [site, {
      dns: dns.map((d) => ({ number: d.number, type: d.type, ...(d.switchSpecificType ? { switchSpecificType: d.switchSpecificType } : {}), kind: d.kind })),
      ...(simPlan.remoteDestinations[site] ? { remoteDestinations: simPlan.remoteDestinations[site] } : {}),
    }])),
  };
  writeSecretFile(join(local, "demo.json"), JSON.stringify(demo, null, 2));
  await waitForLinks(api, keys.client, Object.keys(plan), 20_000);

  console.log(`
CUCM T-Server is up (${((Date.now() - t0) / 1000).toFixed(1)} s)
  API        ${api}            (OpenAPI: ${api}/v1/openapi.json)
  web page   ${api}/           (paste the client key)
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
Ctrl-C stops everything.`);
}

async function waitForLinks(api: string, clientKey: string, sites: string[], ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (const site of sites) {
    for (;;) {
      const res = await fetch(`${api}/v1/sites/${site}`, { headers: { authorization: `Bearer ${clientKey}` } }).catch(() => undefined);
      if (res?.ok && ((await res.json()) as { linkUp: boolean }).linkUp) break;
      if (Date.now() > end) {
        console.warn(`warning: the link of ${site} is not up yet; see the agent's log lines`);
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

