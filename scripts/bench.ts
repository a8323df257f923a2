// `npm run bench [-- --seconds 10 --callers 20 --phones 200]`: drives calls through the whole stack
// (a simulated cluster, a link agent, the worker in workerd, client sessions over WebSockets) and
// prints throughput and latencies. A measurement, not a test: nothing here passes or fails.
import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";
import { WebSocket } from "undici";
import { pino } from "pino";
import { startSimulator } from "../infra/ucm-sim/src/index.js";
import { startLinkAgent } from "../link-agent/src/agent.js";
import { parseConfig as parseAgentConfig } from "../link-agent/src/config.js";
import { TServerClient, type WebSocketCtor } from "../shared/client.js";
import type { TEvent } from "../shared/client-api.js";
import { provisionDemo } from "./lib/provision.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, callers: { type: "string", default: "20" }, phones: { type: "string", default: "200" } } });
const seconds = Number(values.seconds);
const callers = Number(values.callers);
const phones = Math.max(Number(values.phones), callers * 2);
const dns = Array.from({ length: phones }, (_, i) => String(30000 + i));

const BENCH_ADMIN = "bench-admin-token-0123456789abcdef0123";
const sim = await startSimulator({
  config: { clusters: [{ name: "bench", numberPrefixes: ["3"], users: [{ user: "tserver", password: "bench" }], devices: dns.map((dn) => ({ dn, kind: "phone" })) }] },
  log: pino({ level: "error" }),
});
const worker = await unstable_startWorker({
  config: "wrangler.toml",
  bindings: { ADMIN_TOKEN: { type: "plain_text", value: BENCH_ADMIN }, LOG_LEVEL: { type: "plain_text", value: "error" } },
  dev: { persist: false, server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "error" },
} as Parameters<typeof unstable_startWorker>[0]);
await worker.ready;
const api = (await worker.url).toString().replace(/\/$/, "");
const keys = await provisionDemo(api, BENCH_ADMIN, "bench", { bench: dns.map((number) => ({ number, type: "Extension" as const, kind: "phone" as const })) });
const agent = startLinkAgent(parseAgentConfig({
  site: "bench", agentId: "bench-agent", controlPlane: { url: api, linkKey: keys.link.bench },
  links: [{ name: "link-1", host: "127.0.0.1", port: sim.clusters.bench!.linkPort, user: "tserver", password: "bench" }],
  optionsWaitMs: 0, log: { level: "error" },
}), { log: pino({ level: "error" }) });
await agent.linksReady;

const client = new TServerClient({ api, key: keys.client, WebSocket: WebSocket as unknown as WebSocketCtor });
const { sessionId } = await client.createSession();
const waiters: Array<{ match: (e: TEvent) => boolean; resolve: (e: TEvent) => void }> = [];
const switchToClient: number[] = [];
const recent: TEvent[] = [];
const ws = client.openEvents(sessionId, (e) => {
  if (e.time && e.event !== "EventRegistered") switchToClient.push(Date.now() - Date.parse(e.time));
  recent.push(e);
  if (recent.length > 10_000) recent.splice(0, 5_000);
  for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
});
await new Promise((r) => ws.addEventListener("open", r));
// an event may already be here when its request's answer arrives
const waitFor = (match: (e: TEvent) => boolean) => new Promise<TEvent>((resolve) => {
  const seen = recent.find(match);
  if (seen) resolve(seen);
  else waiters.push({ match, resolve });
});
for (let i = 0; i < dns.length; i += 50) await Promise.all(dns.slice(i, i + 50).map((thisDN) => client.request("bench", { sessionId, request: "RequestRegisterAddress", thisDN })));
await new Promise((r) => setTimeout(r, 1500)); // the agent's resync after the DNs were configured

const latency: Record<string, number[]> = { RequestMakeCall: [], RequestAnswerCall: [], RequestReleaseCall: [] };
const timed = async (request: "RequestMakeCall" | "RequestAnswerCall" | "RequestReleaseCall", body: Record<string, string>) => {
  const t0 = performance.now();
  const answer = await client.request("bench", { sessionId, request, ...body });
  latency[request]!.push(performance.now() - t0);
  if (answer.status !== 200) throw new Error(`${request}: ${answer.event.errorMessage}`);
  return answer.event;
};
let calls = 0;
let failures = 0;
const end = Date.now() + seconds * 1000;
const t0 = Date.now();
await Promise.all(Array.from({ length: callers }, async (_, i) => {
  const [a, b] = [dns[2 * i]!, dns[2 * i + 1]!];
  while (Date.now() < end) {
    try {
      const dialing = await timed("RequestMakeCall", { thisDN: a, otherDN: b });
      const connID = dialing.connID!;
      await waitFor((e) => e.event === "EventRinging" && e.connID === connID);
      await timed("RequestAnswerCall", { thisDN: b, connID });
      await timed("RequestReleaseCall", { thisDN: a, connID });
      await waitFor((e) => e.event === "EventReleased" && e.thisDN === b && e.connID === connID);
      calls++;
    } catch (err) {
      failures++;
      console.error(String(err));
    }
  }
}));
const elapsed = (Date.now() - t0) / 1000;
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(1) : "-");
console.log(`\n${calls} calls in ${elapsed.toFixed(1)} s with ${callers} concurrent callers: ${(calls / elapsed).toFixed(1)} calls/s, ${(switchToClient.length / elapsed).toFixed(0)} events/s delivered, ${failures} failures`);
console.log("latency (ms)            p50     p95     p99");
for (const [name, xs] of Object.entries(latency)) console.log(`${name.padEnd(22)} ${pct(xs, 50).padStart(6)}  ${pct(xs, 95).padStart(6)}  ${pct(xs, 99).padStart(6)}`);
console.log(`${"switch -> client event".padEnd(22)} ${pct(switchToClient, 50).padStart(6)}  ${pct(switchToClient, 95).padStart(6)}  ${pct(switchToClient, 99).padStart(6)}`);
ws.close();
await agent.stop();
await worker.dispose();
await sim.stop();
process.exit(0);
