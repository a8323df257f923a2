// The simulator as a library: clusters, their switch-link servers and the control API.
import { pino, type Logger } from "pino";
import { type SimConfig, parseConfig } from "./config.js";
import { Network } from "./model/network.js";
import { startSwitchLinkServer, type SwitchLinkServer } from "./switch-link-server.js";
import { startControlApi } from "./control-api.js";
import type { Cluster } from "./model/cluster.js";

export interface Simulator {
  controlUrl: string;
  clusters: Record<string, { linkHost: string; linkPort: number }>;
  network: Network;
  cluster(name: string): Cluster;
  linkServer(name: string): SwitchLinkServer;
  dropLinks(name: string): number;
  stop(): Promise<void>;
}

export async function startSimulator(opts: { config: SimConfig | unknown; host?: string; controlPort?: number; linkPorts?: Record<string, number>; log?: Logger }): Promise<Simulator> {
  const config = parseConfig(opts.config);
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? pino({ level: process.env.LOG_LEVEL ?? "warn", base: { program: "ucm-sim" } }, pino.destination(2));
  const network = new Network(config);
  const servers = new Map<string, SwitchLinkServer>();
  for (const c of config.clusters) {
    servers.set(c.name, await startSwitchLinkServer(network.cluster(c.name)!, { host, port: opts.linkPorts?.[c.name] ?? c.linkPort, log }));
  }
  const dropLinks = (name: string) => servers.get(name)?.dropAll() ?? 0;
  const control = await startControlApi(network, { host, port: opts.controlPort ?? 0, log, dropLinks });
  return {
    controlUrl: control.url,
    clusters: Object.fromEntries([...servers].map(([name, s]) => [name, { linkHost: host, linkPort: s.port }])),
    network,
    cluster: (name) => network.cluster(name)!,
    linkServer: (name) => servers.get(name)!,
    dropLinks,
    async stop() {
      await control.close();
      await Promise.all([...servers.values()].map((s) => s.close()));
    },
  };
}

export type { SimConfig } from "./config.js";
