// The whole system over real sockets: the simulated clusters, link agents as real child processes,
// the real worker in workerd (wrangler's unstable_startWorker), and clients on undici.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import { WebSocket } from "undici";
import { startSimulator } from "../../infra/ucm-sim/src/index.js";
import { TServerClient, type WebSocketCtor, type WebSocketLike } from "../../shared/client.js";
import type { ClientRequest, TEvent } from "../../shared/client-api.js";
import { type Child, startChild } from "../../scripts/lib/processes.js";
import { type ControlPlane, freePort, wranglerDev } from "../../scripts/lib/control-plane.js";
import { type DnPlan, dnObjectFor, provisionDemo, type DemoKeys } from "../../scripts/lib/provision.js";
import { readSimPlan } from "../../scripts/lib/sim-plan.js";

const SIM_CONFIG = "infra/ucm-sim/config/demo.json";
export const ADMIN = "e2e-admin-token-0123456789abcdef0123";

export interface Stack {
  api: string;
  keys: DemoKeys;
  sim: Awaited<ReturnType<typeof startSimulator>>;
  dir: string;
  /** With `persistTo`: the control plane under wrangler dev, which the fault campaign crashes and restarts. */
  controlPlane?: ControlPlane;
  agents: Record<string, Child>;
  /** Starts a link agent; a `backup` one (agentId <site>-backup) is kept in `agents` under "<site>-backup". */
  startAgent(site: string, opts?: { links?: object[]; waitForLink?: boolean; role?: "primary" | "backup" }): Promise<Child>;
  agentLog(site: string): Array<Record<string, unknown> & { msg: string }>;
  client(): TServerClient;
  simControl(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** `persistTo`: run the control plane as `npm start` does, under wrangler dev with its state in that directory. */
export async function startStack(opts: { tenant?: string; startAgents?: boolean; persistTo?: string } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "tserver-e2e-"));
  const simConfig = JSON.parse(readFileSync(SIM_CONFIG, "utf8"));
  const sim = await startSimulator({ config: simConfig, host: "127.0.0.1", controlPort: 0 });
  let api: string;
  let dispose: () => Promise<void>;
  let controlPlane: ControlPlane | undefined;
  if (opts.persistTo) {
    controlPlane = wranglerDev({ port: await freePort(), persistTo: opts.persistTo, adminToken: ADMIN, logFile: join(dir, "worker.log") });
    await controlPlane.start();
    api = controlPlane.api;
    dispose = () => controlPlane!.stop();
  } else {
    const worker = await unstable_startWorker({
      config: "wrangler.toml",
      bindings: { ADMIN_TOKEN: { type: "plain_text", value: ADMIN }, LOG_LEVEL: { type: "plain_text", value: "warn" } },
      dev: { persist: false, server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "error" },
    } as Parameters<typeof unstable_startWorker>[0]);
    await worker.ready;
    api = (await worker.url).toString().replace(/\/$/, "");
    dispose = () => worker.dispose();
  }
  const tenant = opts.tenant ?? "demo";
  const simPlan = readSimPlan(SIM_CONFIG);
  const plan: DnPlan = Object.fromEntries(Object.entries(simPlan.devices).map(([site, devices]) => [site, devices.map((d) => dnObjectFor(d.dn, d.kind))]));
  const keys = await provisionDemo(api, ADMIN, tenant, plan);

  const agents: Record<string, Child> = {};
  const startAgent = async (site: string, agentOpts: { links?: object[]; waitForLink?: boolean; role?: "primary" | "backup" } = {}): Promise<Child> => {
    const cluster = sim.clusters[site]!;
    const user = simPlan.users[site]!;
    const role = agentOpts.role ?? "primary";
    const name = role === "primary" ? site : `${site}-backup`;
    const configPath = join(dir, `link-agent-${name}.json`);
    writeFileSync(configPath, JSON.stringify({
      site, agentId: `${site}-${role}`, role,
      controlPlane: { url: api, linkKey: keys.link[site] },
      links: agentOpts.links ?? [{ name: "link-1", host: cluster.linkHost ?? "127.0.0.1", port: cluster.linkPort, user: user.user, password: user.password }],
      batch: { maxEvents: 500, maxDelayMs: 2 },
      log: { level: "info" },
      http: { host: "127.0.0.1", port: 0 },
    }), { mode: 0o600 });
    const child = startChild(`agent ${name}`, process.execPath, ["--import", "tsx", "link-agent/src/main.ts", "--config", configPath], { logFile: join(dir, `agent-${name}.log`) });
    agents[name] = child;
    if (agentOpts.waitForLink !== false) await waitForLink(api, keys.client, site, true);
    return child;
  };
  const agentLog = (site: string) => {
    try {
      return readFileSync(join(dir, `agent-${site}.log`), "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };
  if (opts.startAgents !== false) for (const site of Object.keys(plan)) await startAgent(site);

  return {
    api, keys, sim, dir, controlPlane, agents, startAgent, agentLog,
    client: () => new TServerClient({ api, key: keys.client, WebSocket: WebSocket as unknown as WebSocketCtor }),
    async simControl(method, path, body) {
      const res = await fetch(`${sim.controlUrl}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      await Promise.all(Object.values(agents).map((a) => a.stop()));
      await dispose();
      await sim.stop();
    },
  };
}

export async function waitForLink(api: string, key: string, site: string, up: boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${api}/v1/sites/${site}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.ok && ((await res.json()) as { linkUp: boolean }).linkUp === up) return;
    if (Date.now() > end) throw new Error(`link of ${site} not ${up ? "up" : "down"} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client session: its event stream, and requests on one site. */
export class ClientSession {
  events: TEvent[] = [];
  ws!: WebSocketLike;
  private constructor(readonly client: TServerClient, readonly sessionId: string) {}

  static async open(client: TServerClient): Promise<ClientSession> {
    const { sessionId } = await client.createSession();
    const s = new ClientSession(client, sessionId);
    await s.connect();
    return s;
  }

  async connect(after?: number): Promise<void> {
    this.ws = this.client.openEvents(this.sessionId, (e) => this.events.push(e), after);
    await new Promise<void>((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", (e) => reject(new Error(`event stream: ${String((e as { message?: string }).message ?? e)}`)));
    });
  }

  request(site: string, request: Omit<ClientRequest, "sessionId">) {
    return this.client.request(site, { ...request, sessionId: this.sessionId } as ClientRequest);
  }

  async register(site: string, ...dns: string[]): Promise<void> {
    for (const thisDN of dns) {
      const r = await this.request(site, { request: "RequestRegisterAddress", thisDN });
      if (r.status !== 200) throw new Error(`register ${thisDN}: ${JSON.stringify(r.event)}`);
    }
  }

  /** Waits until an event matches; returns it. */
  async waitFor(match: (e: TEvent) => boolean, what: string, ms = 10_000): Promise<TEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${this.events.map((e) => `${e.event}@${e.thisDN ?? ""}`).join(", ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The events of one DN (or all), as [event, thisDN] pairs, for exact assertions of order. */
  trail(dn?: string): Array<[string, string | undefined]> {
    return this.events.filter((e) => !dn || e.thisDN === dn).map((e) => [e.event, e.thisDN]);
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.client.endSession(this.sessionId).catch(() => undefined);
  }
}
