// npm run chaos -- --faults 100 [--calls-per-fault 3] [--stall-seconds 20] [--only "control plane"]
//   |  npm run chaos -- --outage-seconds 600
// A fault campaign (issue 12) on the whole system: the simulator, the control plane as `npm start` runs
// it (wrangler dev, its state persisted in a directory), a link agent for site-a whose uplink goes
// through a TCP proxy this script controls, and a client session registered on the DNs of the load. A
// steady load of calls (people at phones: off-hook and dial, answer, hang up, through the simulator's
// control API) runs between faults; the faults rotate: kill -9 of the link agent (then restarted),
// uplink dropped, uplink stalled, switch links dropped, the client's socket killed silently (it
// reconnects with ?after=), kill -9 of the control plane while calls are in flight (the worker's
// workerd, then wrangler's whole tree; started again on the same state, the client reconnects with
// ?after=). The control plane runs under wrangler dev, which reloads the worker (closing every socket)
// when its sources change: edit nothing under worker/ or shared/ during a run. `--only <text>` keeps the fault kinds whose name contains it. Per fault it prints: the switch's calls and the events they should
// produce for the client, the events received, lost, duplicated, out of order, and the seconds from the
// end of the fault until every DN's state at the T-Server matched the switch.
// Calls are placed only while the observer (the agent and its switch links) is up: a call the switch
// handles while no agent watches produces no JTAPI event anyone could acknowledge (the snapshot then
// repairs the state, docs/uplink.md); what is measured is that nothing acknowledged is lost or doubled.
import net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSession, startStack, waitForLink } from "../test/e2e/harness.js";
import { startChild, type Child } from "./lib/processes.js";
import { readSimPlan } from "./lib/sim-plan.js";
import type { TEvent } from "../shared/client-api.js";

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const FAULTS = arg("faults", 20);
const CALLS = arg("calls-per-fault", 3);
const STALL_S = arg("stall-seconds", 10);
/** --outage-seconds N: instead of the rotation, one uplink outage of N s (connections refused) under continuous load. */
const OUTAGE_S = arg("outage-seconds", 0);
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]! : "";
const PAIRS: Array<[string, string]> = [["1003", "1004"], ["1001", "1002"]];
const DNS = PAIRS.flat();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

process.env.WRANGLER_SEND_METRICS = "false";
// the control plane's Durable Object state, kept across its restarts (as .local/state is under npm start)
const persistTo = mkdtempSync(join(tmpdir(), "tserver-chaos-state-"));
const stack = await startStack({ tenant: "demo", startAgents: false, persistTo });
const controlPlane = stack.controlPlane!;
// however this process ends (done, a test's timeout, Ctrl-C; a library's signal handler may exit before
// ours runs), wrangler's tree and the agent go with it: the exit hook is synchronous and always runs
let agentProc: Child | undefined;
process.on("exit", () => {
  agentProc?.proc.kill("SIGKILL");
  controlPlane.kill();
  rmSync(persistTo, { recursive: true, force: true });
});
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(1));
const workerd = new URL(stack.api);

// ---- the uplink proxy ----
const pipes = new Set<{ a: net.Socket; b: net.Socket }>();
let stalled = false;
let refusing = false;
const proxy = net.createServer((a) => {
  if (refusing) { a.destroy(); return; }
  const b = net.connect(Number(workerd.port), workerd.hostname);
  const pipe = { a, b };
  pipes.add(pipe);
  a.pipe(b); b.pipe(a);
  if (stalled) { a.pause(); b.pause(); }
  const gone = () => { pipes.delete(pipe); a.destroy(); b.destroy(); };
  a.on("error", gone); b.on("error", gone); a.on("close", gone); b.on("close", gone);
});
await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
const dropUplink = () => { for (const p of [...pipes]) { p.a.destroy(); p.b.destroy(); } };
const stallUplink = (on: boolean) => { stalled = on; for (const p of pipes) for (const s of [p.a, p.b]) (on ? s.pause() : s.resume()); };

// ---- the agent of site-a ----
const plan = readSimPlan("infra/ucm-sim/config/demo.json");
const configPath = join(stack.dir, "chaos-agent.json");
writeFileSync(configPath, JSON.stringify({
  site: "site-a", agentId: "site-a-primary", role: "primary",
  controlPlane: { url: proxyUrl, linkKey: stack.keys.link["site-a"] },
  links: [{ name: "link-1", host: "127.0.0.1", port: stack.sim.clusters["site-a"]!.linkPort, user: plan.users["site-a"]!.user, password: plan.users["site-a"]!.password }],
  batch: { maxEvents: 500, maxDelayMs: 2 }, log: { level: "warn" },
}), { mode: 0o600 });
let agent: Child;
const startAgent = async () => {
  agent = agentProc = startChild("agent site-a", process.execPath, ["--import", "tsx", "link-agent/src/main.ts", "--config", configPath], { logFile: join(stack.dir, "chaos-agent.log") });
  await waitForLink(stack.api, stack.keys.client, "site-a", true, 30_000);
};
await startAgent();

// ---- the client ----
const session = await ClientSession.open(stack.client());
await session.register("site-a", ...DNS);
let lastSeq = 0;
const seen = () => { for (const e of session.events) if (e.seq && e.seq > lastSeq) lastSeq = e.seq; };
/** A client resumes a stream that closed under it (as a desktop would): with ?after= the last seq it saw. */
async function ensureStream(): Promise<void> {
  if (session.ws.readyState !== 3) return;
  seen();
  console.warn(`the client's event socket had closed outside a fault: reconnected with ?after=${lastSeq}`);
  await session.connect(lastSeq);
}

// ---- the load ----
const sim = (method: string, path: string, body?: unknown) => stack.simControl(method, path, body);
async function call(from: string, to: string): Promise<string | null> {
  const placed = await sim("POST", `/clusters/site-a/devices/${from}/offhook`, { dial: to });
  if (placed.status !== 200) return null;
  await sleep(150);
  await sim("POST", `/clusters/site-a/devices/${to}/answer`);
  await sleep(150);
  await sim("POST", `/clusters/site-a/devices/${from}/hangup`);
  await sleep(100);
  return (placed.body as { callId?: string })?.callId ?? "?";
}

/** Runs CALLS calls on each pair; returns how many calls the switch completed. */
async function load(): Promise<number> {
  let n = 0;
  for (let i = 0; i < CALLS; i++) {
    const results = await Promise.all(PAIRS.map(([a, b]) => call(a, b)));
    n += results.filter(Boolean).length;
  }
  return n;
}

async function converged(): Promise<number> {
  const started = Date.now();
  for (;;) {
    let ok = true;
    for (const dn of DNS) {
      const [sw, ts] = await Promise.all([
        sim("GET", `/clusters/site-a/devices/${dn}`),
        session.request("site-a", { request: "RequestQueryAddress", thisDN: dn }).catch(() => null),
      ]);
      const swCalls = (sw.body as { calls: unknown[]; inService: boolean });
      const tsEvent = ts?.event as (TEvent & { calls?: unknown[]; inService?: boolean }) | undefined;
      if (!tsEvent || tsEvent.inService !== swCalls.inService || (tsEvent.calls?.length ?? -1) !== swCalls.calls.length) { ok = false; break; }
    }
    if (ok) return (Date.now() - started) / 1000;
    if (Date.now() - started > 60_000) return Infinity;
    await sleep(100);
  }
}

/** Per connID and DN: the call's events in order, for the counts below. */
function judge(events: TEvent[], calls: number) {
  const expected = calls * 6; // dialing, ringing, established x2, released x2
  const byKey = new Map<string, number>();
  const byCall = new Map<string, string[]>();
  for (const e of events) {
    if (!e.connID || !["EventDialing", "EventRinging", "EventEstablished", "EventReleased"].includes(e.event)) continue;
    const key = `${e.connID}|${e.thisDN}|${e.event}`;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    const list = byCall.get(`${e.connID}|${e.thisDN}`) ?? [];
    list.push(e.event);
    byCall.set(`${e.connID}|${e.thisDN}`, list);
  }
  const distinct = byKey.size;
  const duplicated = [...byKey.values()].reduce((s, n) => s + n - 1, 0);
  const rank: Record<string, number> = { EventDialing: 0, EventRinging: 0, EventEstablished: 1, EventReleased: 2 };
  let outOfOrder = 0;
  for (const list of byCall.values()) for (let i = 1; i < list.length; i++) if (rank[list[i]!]! < rank[list[i - 1]!]!) outOfOrder++;
  return { expected, received: distinct + duplicated, lost: Math.max(0, expected - distinct), duplicated, outOfOrder };
}

// ---- the faults ----
type Fault = { name: string; blindsObserver: boolean; run: () => Promise<void> };
const FAULT_LIST: Fault[] = [
  { name: "uplink dropped", blindsObserver: false, run: async () => { dropUplink(); } },
  { name: `uplink stalled ${STALL_S} s`, blindsObserver: false, run: async () => { stallUplink(true); await sleep(STALL_S * 1000); stallUplink(false); } },
  { name: "client socket killed", blindsObserver: false, run: async () => { seen(); session.ws.close(); await sleep(200); await session.connect(lastSeq); } },
  { name: "link agent kill -9", blindsObserver: true, run: async () => { agent.proc.kill("SIGKILL"); await sleep(500); await startAgent(); } },
  { name: "switch links dropped", blindsObserver: true, run: async () => { await sim("POST", "/clusters/site-a/links/drop"); await waitForLink(stack.api, stack.keys.client, "site-a", true, 30_000); } },
  { name: "control plane kill -9", blindsObserver: false, run: restartControlPlane },
].filter((f) => f.name.includes(ONLY));
if (FAULT_LIST.length === 0) throw new Error(`--only ${ONLY}: no fault kind has that in its name`);

/**
 * kill -9 of the control plane at a random moment of the load (calls dialing, ringing, ending), started
 * again on the same state. The agent keeps what was not acknowledged and resends it; the client, whose
 * socket died with workerd, reconnects with ?after=<the last seq it saw>. Ends once the link is back.
 */
async function restartControlPlane(): Promise<void> {
  await sleep(Math.random() * 1000);
  const ws = session.ws;
  const closed = new Promise<void>((r) => { if (ws.readyState === 3) r(); else ws.addEventListener("close", () => r()); });
  const t0 = Date.now();
  await controlPlane.crash();
  await closed;
  seen();
  await controlPlane.start();
  const up = Date.now();
  await session.connect(lastSeq);
  await waitForLink(stack.api, stack.keys.client, "site-a", true, 30_000);
  restarts.push({ down: (up - t0) / 1000, link: (Date.now() - up) / 1000 });
}
const restarts: Array<{ down: number; link: number }> = [];

if (OUTAGE_S > 0) {
  // the uplink is gone for OUTAGE_S seconds while calls go on back to back; the agent keeps every event
  const from = session.events.length;
  refusing = true;
  dropUplink();
  const started = Date.now();
  let calls = 0;
  while (Date.now() - started < OUTAGE_S * 1000) calls += await load();
  refusing = false;
  const back = Date.now();
  const windowEvents = () => { const bySeq = new Map<number, TEvent>(); for (const e of session.events.slice(from)) if (e.seq) bySeq.set(e.seq, e); return [...bySeq.values()]; };
  const settleUntil = Date.now() + 900_000;
  while (judge(windowEvents(), calls).lost > 0 && Date.now() < settleUntil) await sleep(500);
  const delivered = (Date.now() - back) / 1000;
  const convergedIn = await converged();
  const v = judge(windowEvents(), calls);
  console.log(`uplink outage of ${OUTAGE_S} s under load: ${calls} calls, ${v.expected} events expected, ${v.received} received, ${v.lost} lost, ${v.duplicated} duplicated, ${v.outOfOrder} out of order; backlog delivered ${delivered.toFixed(1)} s after the uplink returned, DN state matched the switch ${convergedIn.toFixed(2)} s after that`);
  await session.close().catch(() => undefined);
  await agent!.stop("SIGKILL").catch(() => undefined);
  proxy.close();
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
  process.exit(v.lost + v.duplicated > 0 ? 1 : 0);
}

const totals = { faults: 0, calls: 0, expected: 0, received: 0, lost: 0, duplicated: 0, outOfOrder: 0, worstConvergence: 0 };
console.log(`fault campaign: ${FAULTS} faults, ${CALLS} calls per pair around each, pairs ${PAIRS.map((p) => p.join("->")).join(", ")}`);
console.log("fault                       calls expected received lost dup order converged(s)");
try {
  for (let i = 0; i < FAULTS; i++) {
    const fault = FAULT_LIST[i % FAULT_LIST.length]!;
    const from = session.events.length;
    let calls = await load();
    // faults that do not blind the observer run during the load
    const during = fault.blindsObserver ? Promise.resolve(0) : load();
    await fault.run();
    calls += await during;
    const convergedIn = await converged();
    calls += await load();
    // the events of this window: everything after `from`, deduplicated by seq (a replay after a socket
    // kill repeats seqs); waited for until all are there, or 10 s
    const windowEvents = () => { const bySeq = new Map<number, TEvent>(); for (const e of session.events.slice(from)) if (e.seq) bySeq.set(e.seq, e); return [...bySeq.values()]; };
    await ensureStream();
    const settleUntil = Date.now() + 10_000;
    while (judge(windowEvents(), calls).lost > 0 && Date.now() < settleUntil) await sleep(50);
    const verdict = judge(windowEvents(), calls);
    totals.faults++; totals.calls += calls; totals.expected += verdict.expected; totals.received += verdict.received;
    totals.lost += verdict.lost; totals.duplicated += verdict.duplicated; totals.outOfOrder += verdict.outOfOrder;
    totals.worstConvergence = Math.max(totals.worstConvergence, convergedIn);
    console.log(`${fault.name.padEnd(27)} ${String(calls).padStart(5)} ${String(verdict.expected).padStart(8)} ${String(verdict.received).padStart(8)} ${String(verdict.lost).padStart(4)} ${String(verdict.duplicated).padStart(3)} ${String(verdict.outOfOrder).padStart(5)} ${convergedIn.toFixed(2).padStart(12)}`);
  }
} finally {
  const all = new Map<number, TEvent>();
  for (const e of session.events) if (e.seq) all.set(e.seq, e);
  const whole = judge([...all.values()], totals.calls);
  console.log(`whole run, every event counted once by seq: ${whole.expected} expected, ${whole.received} received, ${whole.lost} lost, ${whole.duplicated} duplicated, ${whole.outOfOrder} out of order`);
  if (restarts.length) console.log(`control plane restarts: ${restarts.length}; down (kill -9 until it answered again) ${Math.min(...restarts.map((r) => r.down)).toFixed(1)}-${Math.max(...restarts.map((r) => r.down)).toFixed(1)} s, link of the agent back ${Math.min(...restarts.map((r) => r.link)).toFixed(1)}-${Math.max(...restarts.map((r) => r.link)).toFixed(1)} s after that`);
  console.log(`total: ${totals.faults} faults, ${totals.calls} calls, ${totals.expected} events expected, ${totals.received} received, ${totals.lost} lost, ${totals.duplicated} duplicated, ${totals.outOfOrder} out of order; DN state matched the switch at most ${totals.worstConvergence.toFixed(2)} s after a fault ended`);
  await session.close().catch(() => undefined);
  await agent!.stop("SIGKILL").catch(() => undefined);
  proxy.close();
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
process.exit(totals.lost + totals.duplicated > 0 || totals.worstConvergence > 5 ? 1 : 0);
