// `npm run bench [-- --callers 20 --seconds 10 --phones 200 ...]`: the measuring instrument (README,
// "Measuring"). On one simulator, with the same call loop (make, ring, answer, release), it runs first a
// bare relay (switch-link socket -> one Node process -> a client WebSocket), then the whole system
// (simulator -> link agent -> worker in workerd -> client sessions over WebSockets), and prints for
// each calls/s, events/s, request and switch -> client latencies, lost/duplicated/reordered events,
// each process's CPU and RSS, and the system's ratio to the relay. A measurement, not a test.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { TServerClient, type WebSocketCtor } from "../shared/client.js";
import type { TEvent } from "../shared/client-api.js";
import type { JtapiEvent } from "../shared/switch-link.js";
import { provisionDemo } from "./lib/provision.js";
import { type Child, startChild, waitForHttp } from "./lib/processes.js";
import { descendantsNamed, sample } from "./lib/proc-stats.js";
import { profileIsolate } from "./lib/inspector-profile.js";
import { freePort } from "./lib/control-plane.js";
import { execFileSync } from "node:child_process";

const { values } = parseArgs({
  options: {
    callers: { type: "string", default: "20" },
    rate: { type: "string", default: "0" },
    phones: { type: "string", default: "200" },
    registered: { type: "string" },
    sessions: { type: "string", default: "4" },
    sites: { type: "string", default: "1" },
    seconds: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "no-relay": { type: "boolean", default: false },
    runtime: { type: "string", default: "workerd" },
    settle: { type: "string", default: "0" },
  },
});
const callers = Number(values.callers);
const rate = Number(values.rate); // calls/s over all callers; 0: as fast as they can
const sites = Math.max(1, Number(values.sites));
const phones = Math.max(Number(values.phones), callers * 2);
const registered = Math.min(phones, Math.max(Number(values.registered ?? phones), Math.ceil((callers * 2) / sites)));
const sessions = Math.max(1, Number(values.sessions));
const seconds = Number(values.seconds);
const cpuProf = values["cpu-prof"];
const runtime = values.runtime;
const settle = Number(values.settle);
if (runtime !== "workerd" && runtime !== "wrangler") throw new Error(`--runtime: workerd or wrangler, not ${runtime}`);
/** The worker refuses admin tokens shorter than 32 characters. */
const BENCH_ADMIN = "bench-admin-token-0123456789abcdef0123";
const say = (line: string) => { if (!values.json) console.error(line); };

// generated configs and the control plane's state outside the project
const dir = mkdtempSync(join(tmpdir(), "tserver-bench-"));
const profDir = ".local/bench-cpu-prof";
if (cpuProf) mkdirSync(profDir, { recursive: true });
const siteNames = Array.from({ length: sites }, (_, i) => `bench-${i + 1}`);
// each site is a cluster of its own, numbers <prefix><5 digits>
const numbersOf = (s: number) => Array.from({ length: phones }, (_, i) => `${s + 2}${String(i).padStart(5, "0")}`);
const callerPairs: Array<{ site: string; a: string; b: string }> = Array.from({ length: callers }, (_, i) => {
  const s = i % sites;
  const k = Math.floor(i / sites);
  return { site: siteNames[s]!, a: numbersOf(s)[2 * k]!, b: numbersOf(s)[2 * k + 1]! };
});

const children: Child[] = [];
const node = (file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  startChild(file.split("/").at(-2)!, process.execPath, ["--import", "tsx", ...(cpuProf ? ["--cpu-prof", "--cpu-prof-dir", profDir] : []), file, ...args], { env: { LOG_LEVEL: "error", ...env } });
const stopAll = async () => { for (const c of children.splice(0).reverse()) await c.stop(); };
// a failed run leaves no process behind (they would load the machine of the next measurement)
const abort = (err: unknown) => {
  console.error(`bench failed: ${(err as Error)?.stack ?? err}`);
  void stopAll().finally(() => process.exit(1));
};
process.on("uncaughtException", abort);
process.on("unhandledRejection", abort);
process.on("SIGINT", () => abort("interrupted"));
process.on("SIGTERM", () => abort("terminated"));

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "link-agent/tsconfig.build.json"], { stdio: "inherit" });

// ---- the simulator, shared by both runs ----
const simConfig = { clusters: siteNames.map((name, s) => ({ name, numberPrefixes: [String(s + 2)], users: [{ user: "tserver", password: "bench" }], devices: numbersOf(s).map((dn) => ({ dn, kind: "phone" })) })) };
writeFileSync(`${dir}/sim.json`, JSON.stringify(simConfig));
const sim = node("infra/ucm-sim/src/main.ts", ["--config", `${dir}/sim.json`]);
sim.name = "simulator";
children.push(sim);
const simReady = JSON.parse((await sim.waitFor(/^ucm-sim ready /, 120_000)).replace(/^ucm-sim ready /, "")) as { clusters: Record<string, { linkHost: string; linkPort: number }> };

// ---- the call loop, the same for both runs ----
interface Driver {
  make(site: string, a: string, b: string): Promise<string>;
  ringing(site: string, key: string, b: string): Promise<void>;
  answer(site: string, key: string, b: string): Promise<void>;
  release(site: string, key: string, a: string): Promise<void>;
  released(site: string, key: string, b: string): Promise<void>;
}
interface Outcome {
  calls: number;
  failures: number;
  elapsed: number;
  events: number;
  requestMs: number[];
  switchToClientMs: number[];
  lost: number;
  duplicated: number;
  reordered: number;
  processes: Record<string, { cpuPercent: number; rssMB: number; peakRssMB: number }>;
}

/** Per (call, DN): the events seen, to count lost, duplicated and reordered ones against what each party must see. */
class Trail {
  private seen = new Map<string, string[]>();
  add(key: string, dn: string, name: string): void {
    const k = `${key}|${dn}`;
    const list = this.seen.get(k);
    if (list) list.push(name);
    else this.seen.set(k, [name]);
  }
  describe(key: string, a: string, b: string): string {
    return [a, b].map((dn) => `${dn} ${(this.seen.get(`${key}|${dn}`) ?? []).join(",") || "nothing"}`).join("; ");
  }
  check(done: Array<{ key: string; a: string; b: string }>, expectA: string[], expectB: string[]): { lost: number; duplicated: number; reordered: number } {
    let lost = 0, duplicated = 0, reordered = 0;
    for (const { key, a, b } of done) {
      for (const [dn, expected] of [[a, expectA], [b, expectB]] as const) {
        const got = (this.seen.get(`${key}|${dn}`) ?? []).filter((n) => expected.includes(n));
        for (const name of expected) {
          const n = got.filter((g) => g === name).length;
          if (n === 0) lost++;
          if (n > 1) duplicated += n - 1;
        }
        const firsts = expected.map((name) => got.indexOf(name)).filter((i) => i >= 0);
        if (firsts.some((v, i) => i > 0 && v < firsts[i - 1]!)) reordered++;
      }
    }
    return { lost, duplicated, reordered };
  }
}

async function run(driver: Driver, trail: Trail, expectA: string[], expectB: string[], pids: Record<string, number>, counters: { events: number; switchToClientMs: number[] }): Promise<Outcome> {
  const requestMs: number[] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await work();
    requestMs.push(performance.now() - t0);
    return out;
  };
  const done: Array<{ key: string; a: string; b: string }> = [];
  let failures = 0;
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, sample(pid)]));
  counters.events = 0;
  counters.switchToClientMs.length = 0;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const interval = rate > 0 ? (callers / rate) * 1000 : 0;
  await Promise.all(callerPairs.map(async ({ site, a, b }, i) => {
    let next = t0 + (interval * i) / callers;
    while (Date.now() < end) {
      if (interval) {
        const wait = next - Date.now();
        next += interval;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (Date.now() >= end) break;
      }
      let key: string | undefined;
      try {
        const call = (key = await timed(() => driver.make(site, a, b)));
        await driver.ringing(site, call, b);
        await timed(() => driver.answer(site, call, b));
        await timed(() => driver.release(site, call, a));
        await driver.released(site, call, b);
        done.push({ key: call, a, b });
      } catch (err) {
        failures++;
        say(`  call failed: ${String((err as Error).message ?? err).slice(0, 200)}${key ? ` (seen: ${trail.describe(key, a, b)})` : ""}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }));
  const elapsed = (Date.now() - t0) / 1000;
  const processes: Outcome["processes"] = {};
  for (const [name, pid] of Object.entries(pids)) {
    const b = before[name], a = sample(pid);
    if (b && a) processes[name] = { cpuPercent: (100 * (a.cpuSeconds - b.cpuSeconds)) / elapsed, rssMB: a.rssMB, peakRssMB: a.peakRssMB };
  }
  return { calls: done.length, failures, elapsed, events: counters.events, requestMs, switchToClientMs: [...counters.switchToClientMs], ...trail.check(done, expectA, expectB), processes };
}

/** Resolves when an event matching `key` arrives (or has arrived). */
class Waiters {
  private recent = new Map<string, number>();
  private waiting = new Map<string, () => void>();
  seen(key: string): void {
    const w = this.waiting.get(key);
    if (w) { this.waiting.delete(key); w(); } else this.recent.set(key, Date.now());
    // bounded: the oldest go first (clearing them all dropped events a caller was about to wait for)
    if (this.recent.size > 200_000) for (const k of [...this.recent.keys()].slice(0, 50_000)) this.recent.delete(k);
  }
  wait(key: string, ms = 10_000): Promise<void> {
    if (this.recent.delete(key)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(key); reject(new Error(`no ${key} within ${ms} ms`)); }, ms);
      this.waiting.set(key, () => { clearTimeout(timer); resolve(); });
    });
  }
}

const results: Record<string, Outcome> = {};

// ---- 1. the bare relay ----
if (!values["no-relay"]) {
  say(`relay: ${callers} callers on ${sites} site(s), ${seconds} s`);
  const relays = new Map<string, { ws: WebSocket; pending: Map<number, (f: any) => void>; child: Child }>();
  const waiters = new Waiters();
  const trail = new Trail();
  const counters = { events: 0, switchToClientMs: [] as number[] };
  let id = 1;
  for (const site of siteNames) {
    const c = simReady.clusters[site]!;
    const child = node("scripts/lib/bench-relay.ts", [c.linkHost, String(c.linkPort), "tserver", "bench"]);
    child.name = `relay-${site}`;
    children.push(child);
    const port = Number((await child.waitFor(/^relay ready \d+/, 120_000)).split(" ")[2]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    const pending = new Map<number, (f: any) => void>();
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      if (!Array.isArray(msg)) return pending.get(msg.id)?.(msg);
      const now = Date.now();
      for (const e of msg as JtapiEvent[]) {
        counters.events++;
        counters.switchToClientMs.push(now - Date.parse(e.time));
        if (!e.callId || !e.address) continue;
        trail.add(e.callId, e.address, e.id);
        waiters.seen(`${e.id}|${e.callId}|${e.address}`);
      }
    });
    await new Promise((r) => ws.once("open", r));
    relays.set(site, { ws, pending, child });
  }
  const ask = (site: string, op: Record<string, unknown>) => new Promise<any>((resolve, reject) => {
    const r = relays.get(site)!;
    const mine = id++;
    r.pending.set(mine, (f) => { r.pending.delete(mine); f.ok ? resolve(f.result) : reject(new Error(`${op.op}: ${f.error?.exception}: ${f.error?.message}`)); });
    r.ws.send(JSON.stringify({ id: mine, ...op }));
  });
  const relayDriver: Driver = {
    make: async (site, a, b) => (await ask(site, { op: "makeCall", from: a, to: b })).callId as string,
    ringing: (_s, key, b) => waiters.wait(`CallCtlConnAlertingEv|${key}|${b}`),
    answer: async (site, key, b) => { await ask(site, { op: "answer", callId: key, address: b }); },
    release: async (site, key, a) => { await ask(site, { op: "disconnect", callId: key, address: a }); },
    released: (_s, key, b) => waiters.wait(`CallCtlConnDisconnectedEv|${key}|${b}`),
  };
  const pids = { "bench client": process.pid, simulator: sim.proc.pid!, ...Object.fromEntries([...relays].map(([site, r]) => [`relay ${site}`, r.child.proc.pid!])) };
  results.relay = await run(relayDriver, trail, ["CallCtlConnDialingEv", "CallCtlConnEstablishedEv", "CallCtlConnDisconnectedEv"], ["CallCtlConnAlertingEv", "CallCtlConnEstablishedEv", "CallCtlConnDisconnectedEv"], pids, counters);
  for (const r of relays.values()) { r.ws.close(); await r.child.stop(); }
}

// ---- 2. the whole system ----
say(`system: ${phones} configured DNs per site, ${registered} registered by ${sessions} session(s), ${callers} callers on ${sites} site(s), ${seconds} s`);
const port = await freePort();
const inspectorPort = await freePort();
// Durable Object storage in memory (/dev/shm) when the machine has it: on a disk shared with other
// work, workerd's synchronous SQLite fsyncs measure the disk, not the T-Server
const stateDir = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/tserver-bench-state-") : join(dir, "state");
// the control plane: one workerd running the deployable bundle (default), or `wrangler dev` as `npm start`
// runs it (its reload proxy is a second workerd every request and WebSocket message crosses); either
// as a child: wrangler's bundler broke when it ran inside this busy process
const controlPlane = runtime === "wrangler"
  ? startChild("wrangler", process.execPath, [
    "node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir,
    "--var", `ADMIN_TOKEN:${BENCH_ADMIN}`, "--var", "LOG_LEVEL:error", "--show-interactive-dev-session=false", "--inspector-port", String(inspectorPort), "--log-level", process.env.BENCH_WRANGLER_LOG ?? "error",
  ], { env: { WRANGLER_SEND_METRICS: "false" }, logFile: join(dir, "wrangler.log") })
  : startChild("miniflare", process.execPath, [
    "--import", "tsx", "scripts/lib/workerd-direct.ts", "--port", String(port), "--persist", stateDir, "--admin-token", BENCH_ADMIN, "--inspector-port", String(inspectorPort),
  ], { env: { WRANGLER_SEND_METRICS: "false" }, logFile: join(dir, "workerd.log") });
children.unshift(controlPlane); // stopped last
const api = `http://127.0.0.1:${port}`;
await waitForHttp(`${api}/v1/openapi.json`, 120_000);
const t0Provision = Date.now();
const keys = await provisionDemo(api, BENCH_ADMIN, "bench", Object.fromEntries(siteNames.map((site, s) => [site, numbersOf(s).map((number) => ({ number, type: "Extension" as const, kind: "phone" as const }))])));
const provisionSeconds = (Date.now() - t0Provision) / 1000;
say(`  provisioned ${phones * sites} DN objects in ${provisionSeconds.toFixed(1)} s`);
const t0Link = Date.now();
const agents: Child[] = [];
for (const site of siteNames) {
  const c = simReady.clusters[site]!;
  writeFileSync(`${dir}/agent-${site}.json`, JSON.stringify({
    site, agentId: `bench-agent-${site}`, controlPlane: { url: api, linkKey: keys.link[site] },
    links: [{ name: "link-1", host: c.linkHost, port: c.linkPort, user: "tserver", password: "bench" }], optionsWaitMs: 0, log: { level: "error" },
  }));
  // the agent as it ships (docs/deploying.md): the JavaScript `npm run build:link-agent` makes, run by node
  const agent = startChild("link-agent", process.execPath, [...(cpuProf ? ["--cpu-prof", "--cpu-prof-dir", profDir] : []), "dist/link-agent/link-agent/src/main.js", "--config", `${dir}/agent-${site}.json`], { env: { LOG_LEVEL: "error" } });
  agent.name = `link agent ${site}`;
  children.push(agent);
  agents.push(agent);
}
// the clients' event sockets without permessage-deflate, like the relay's client: the same work on both sides
class PlainWebSocket extends WebSocket {
  constructor(url: string, options: Record<string, unknown> = {}) {
    super(url, { ...options, perMessageDeflate: false });
  }
}
const client = new TServerClient({ api, key: keys.client, WebSocket: PlainWebSocket as unknown as WebSocketCtor });
// the link is up and its snapshot applied once a caller's DN is in service
const probe = await client.createSession();
for (const { site, a } of callerPairs.filter((p, i, all) => all.findIndex((q) => q.site === p.site) === i)) {
  for (;;) {
    const q = await client.request(site, { sessionId: probe.sessionId, request: "RequestQueryAddress", thisDN: a });
    if (q.event.inService) break;
    if (Date.now() - t0Link > 300_000) throw new Error(`site ${site} did not come up within 300 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
await client.endSession(probe.sessionId);
const linkUpSeconds = (Date.now() - t0Link) / 1000;
say(`  link(s) up with the full snapshot applied in ${linkUpSeconds.toFixed(1)} s`);

const waiters = new Waiters();
const trail = new Trail();
const counters = { events: 0, switchToClientMs: [] as number[] };
const sessionIds: string[] = [];
const sockets: Array<{ close(): void }> = [];
const seqIssues = { lost: 0, duplicated: 0, reordered: 0 };
// each session is a desktop or routing engine with its own client key: the per-key rate limit
// (API_LIMIT, docs/client-api.md) is a property of one client, not of the site
const clientOf = new Map<string, TServerClient>();
for (let i = 0; i < sessions; i++) {
  const res = await fetch(`${api}/v1/tenants/bench/keys`, { method: "POST", headers: { authorization: `Bearer ${BENCH_ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ role: "client" }) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`creating a client key: HTTP ${res.status} ${await res.text()}`);
  const own = new TServerClient({ api, key: ((await res.json()) as { key: string }).key, WebSocket: PlainWebSocket as unknown as WebSocketCtor });
  const { sessionId } = await own.createSession();
  clientOf.set(sessionId, own);
  sessionIds.push(sessionId);
  let last = 0;
  const ws = own.openEvents(sessionId, (e) => {
    if (e.seq) {
      if (e.seq === last + 1) last = e.seq;
      else if (e.seq <= last) { if (e.seq === last) seqIssues.duplicated++; else seqIssues.reordered++; }
      else { seqIssues.lost += e.seq - last - 1; last = e.seq; }
    }
    if (e.event === "EventRegistered") return;
    counters.events++;
    if (e.time) counters.switchToClientMs.push(Date.now() - Date.parse(e.time));
    if (e.connID && e.thisDN) {
      trail.add(e.connID, e.thisDN, e.event);
      waiters.seen(`${e.event}|${e.connID}|${e.thisDN}`);
    }
  }, 0);
  sockets.push(ws);
  await new Promise((r) => ws.addEventListener("open", r));
}
// registered DNs: the callers' first, spread over the sessions; the session of a DN is its index modulo sessions
const sessionOf = new Map<string, string>();
const toRegister: Array<{ site: string; dn: string }> = [];
for (const [s, site] of siteNames.entries()) for (const dn of numbersOf(s).slice(0, registered)) toRegister.push({ site, dn });
const t0Register = Date.now();
let restarts = 0;
let nomem = 0;
for (let i = 0; i < toRegister.length; i += 20) {
  await Promise.all(toRegister.slice(i, i + 20).map(async ({ site, dn }, j) => {
    const sessionId = sessionIds[(i + j) % sessions]!;
    sessionOf.set(`${site}|${dn}`, sessionId);
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await clientOf.get(sessionId)!.request(site, { sessionId, request: "RequestRegisterAddress", thisDN: dn });
        if (r.status !== 200) throw new Error(`RequestRegisterAddress ${dn}: ${r.event.errorMessage}`);
        break;
      } catch (err) {
        // wrangler dev answers 503 "restarted mid-request" (or drops the connection) now and then under
        // load; registering is idempotent
        // and one workerd holding thousands of live Durable Objects runs out of its process-wide SQLite
        // memory now and then (500, SQLITE_NOMEM in its log): a limit of the local runtime, where every
        // object shares one process (in Cloudflare each has its own); the request failed whole, so it is retried
        const message = String((err as Error).message);
        if (attempt >= 6 || !/503|fetch failed|HTTP 500/.test(message)) throw err;
        if (/HTTP 500/.test(message)) {
          nomem++;
          // time for workerd to put away idle objects and free their SQLite memory
          await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
        } else restarts++;
      }
    }
  }));
}
const registerSeconds = (Date.now() - t0Register) / 1000;
// a contact center registers at the start of a shift and calls later: --settle lets the runtime put
// away the objects the registration burst woke (workerd evicts idle Durable Objects) before measuring
if (settle > 0) {
  say(`  settling ${settle} s`);
  await new Promise((r) => setTimeout(r, settle * 1000));
}
say(`  registered ${toRegister.length} DNs in ${registerSeconds.toFixed(1)} s${restarts ? ` (${restarts} retried after a 503 or a dropped connection of wrangler dev)` : ""}${nomem ? ` (${nomem} retried after a 500: see workerd's log in ${dir})` : ""}`);

const answerOf = async (site: string, dn: string, request: "RequestMakeCall" | "RequestAnswerCall" | "RequestReleaseCall", extra: Record<string, string>) => {
  const sessionId = sessionOf.get(`${site}|${dn}`)!;
  const r = await clientOf.get(sessionId)!.request(site, { sessionId, request, thisDN: dn, ...extra });
  if (r.status !== 200) throw new Error(`${request}: ${r.event.errorMessage}`);
  return r.event;
};
const systemDriver: Driver = {
  make: async (site, a, b) => (await answerOf(site, a, "RequestMakeCall", { otherDN: b })).connID!,
  ringing: (_s, key, b) => waiters.wait(`EventRinging|${key}|${b}`),
  answer: async (site, key, b) => { await answerOf(site, b, "RequestAnswerCall", { connID: key }); },
  release: async (site, key, a) => { await answerOf(site, a, "RequestReleaseCall", { connID: key }); },
  released: (_s, key, b) => waiters.wait(`EventReleased|${key}|${b}`),
};
const workerdPids = descendantsNamed(process.pid, "workerd");
const pids: Record<string, number> = { "bench client": process.pid, simulator: sim.proc.pid!, [controlPlane.name]: controlPlane.proc.pid!, ...Object.fromEntries(agents.map((a) => [a.name, a.proc.pid!])), ...Object.fromEntries(workerdPids.map((pid, i) => [workerdPids.length > 1 ? `workerd ${i + 1}` : "workerd", pid])) };
// the worker's isolate (Worker and Durable Objects) profiled through the runtime's inspector
const isolateProfile = cpuProf ? await profileIsolate(inspectorPort) : null;
const system = await run(systemDriver, trail, ["EventDialing", "EventEstablished", "EventReleased"], ["EventRinging", "EventEstablished", "EventReleased"], pids, counters);
system.lost += seqIssues.lost;
system.duplicated += seqIssues.duplicated;
system.reordered += seqIssues.reordered;
results.system = system;
if (isolateProfile) await isolateProfile.stop(`${profDir}/workerd-isolate-${Date.now()}.cpuprofile`);
for (const ws of sockets) ws.close();

// ---- report ----
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
const summary = (o: Outcome) => ({
  calls: o.calls, failures: o.failures, seconds: +o.elapsed.toFixed(1),
  callsPerSecond: +(o.calls / o.elapsed).toFixed(1), eventsPerSecond: +(o.events / o.elapsed).toFixed(0),
  requestMs: { p50: +pct(o.requestMs, 50).toFixed(1), p95: +pct(o.requestMs, 95).toFixed(1), p99: +pct(o.requestMs, 99).toFixed(1) },
  switchToClientMs: { p50: pct(o.switchToClientMs, 50), p95: pct(o.switchToClientMs, 95), p99: pct(o.switchToClientMs, 99) },
  lost: o.lost, duplicated: o.duplicated, reordered: o.reordered,
  processes: Object.fromEntries(Object.entries(o.processes).map(([k, v]) => [k, { cpuPercent: Math.round(v.cpuPercent), rssMB: Math.round(v.rssMB), peakRssMB: Math.round(v.peakRssMB) }])),
});
const report = {
  date: new Date().toISOString(),
  options: { callers, rate, phones, registered, sessions, sites, seconds },
  setup: { provisionSeconds: +provisionSeconds.toFixed(1), linkUpSeconds: +linkUpSeconds.toFixed(1), registerSeconds: +registerSeconds.toFixed(1) },
  ...(results.relay ? { relay: summary(results.relay) } : {}),
  system: summary(results.system),
  ratioToRelay: results.relay ? +((results.system.calls / results.system.elapsed) / (results.relay.calls / results.relay.elapsed)).toFixed(2) : null,
  ...(cpuProf ? { cpuProfiles: profDir } : {}),
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  const lines = [`\nbench ${report.date}: ${callers} callers${rate ? ` at ${rate} calls/s` : ""}, ${phones} configured and ${registered} registered DNs per site by ${sessions} session(s), ${sites} site(s), ${seconds} s`];
  lines.push(`setup: provisioning ${report.setup.provisionSeconds} s, link up with snapshot ${report.setup.linkUpSeconds} s, registration ${report.setup.registerSeconds} s`);
  lines.push(`${"".padEnd(8)} ${"calls/s".padStart(8)} ${"events/s".padStart(9)} ${"request ms p50/p95/p99".padStart(24)} ${"switch->client ms p50/p95/p99".padStart(31)} ${"lost/dup/reord".padStart(15)} failures`);
  for (const [name, s] of Object.entries({ relay: report.relay, system: report.system })) {
    if (!s) continue;
    const triple = (t: { p50: number; p95: number; p99: number }) => `${t.p50}/${t.p95}/${t.p99}`;
    lines.push(`${name.padEnd(8)} ${String(s.callsPerSecond).padStart(8)} ${String(s.eventsPerSecond).padStart(9)} ${triple(s.requestMs).padStart(24)} ${triple(s.switchToClientMs).padStart(31)} ${`${s.lost}/${s.duplicated}/${s.reordered}`.padStart(15)} ${s.failures}`);
    for (const [p, v] of Object.entries(s.processes)) lines.push(`    ${p.padEnd(24)} CPU ${String(v.cpuPercent).padStart(4)} %   RSS ${String(v.rssMB).padStart(5)} MB (peak ${v.peakRssMB} MB)`);
  }
  lines.push(`ratio to the relay: ${report.ratioToRelay ?? "-"}x${cpuProf ? `   CPU profiles: ${profDir}/*.cpuprofile` : ""}`);
  console.log(lines.join("\n"));
}
await stopAll();
rmSync(stateDir, { recursive: true, force: true });
process.exit(0);
