// The simulator as a library: clusters, their switch-link servers and the control API.
import { pino, type Logger } from "pino";
import { type SimConfig, parseConfig } from "./config.js";
import { Network } from "./model/network.js";
import { startSwitchLinkServer, type SwitchLinkServer } from "./switch-link-server.js";
import { startControlApi } from "./control-api.js";
import type { Cluster } from "./model/cluster.js";
import { clusterPki, type ClusterPki } from "./tls/pki.js";
import { startTftpServer } from "./tls/tftp-server.js";
import { startCapfServer, type CapfServer } from "./tls/capf-server.js";
import { startCtiManagerTls, type CtiManagerTls } from "./tls/ctimanager-tls.js";

/** The name under which TFTP serves the CallManager certificate (and the CA that signed it). */
export const TRUST_FILE = "CallManager.pem";

export interface ClusterTls {
  linkPort: number;
  capfPort: number;
  tftpPort: number;
  pki: ClusterPki;
  capf: CapfServer;
  ctiManager: CtiManagerTls;
}

export interface Simulator {
  controlUrl: string;
  clusters: Record<string, { linkHost: string; linkPort: number; tls?: { linkPort: number; capfPort: number; tftpPort: number } }>;
  tls(name: string): ClusterTls | undefined;
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
  const tlsByCluster = new Map<string, ClusterTls>();
  const closers: Array<() => Promise<void>> = [];
  for (const c of config.clusters) {
    if (!c.tls) continue;
    const pki = clusterPki(c.name, c.tls.pkiDir);
    const tftp = await startTftpServer({ host, port: c.tls.tftpPort, files: (name) => (name === TRUST_FILE ? pki.trustFile : undefined), log: log.child({ cluster: c.name }) });
    const capf = await startCapfServer({ host, port: c.tls.capfPort, pki, profiles: c.tls.capfProfiles, log: log.child({ cluster: c.name }) });
    const linkServer = servers.get(c.name)!;
    const ctiManager = await startCtiManagerTls({ host, port: c.tls.linkPort, pki, log: log.child({ cluster: c.name }), onSocket: (socket, info) => linkServer.handleConnection(socket, info) });
    closers.push(() => tftp.close(), () => capf.close(), () => ctiManager.close());
    tlsByCluster.set(c.name, { linkPort: ctiManager.port, capfPort: capf.port, tftpPort: tftp.port, pki, capf, ctiManager });
  }
  const dropLinks = (name: string) => servers.get(name)?.dropAll() ?? 0;
  const control = await startControlApi(network, { host, port: opts.controlPort ?? 0, log, dropLinks });
  return {
    controlUrl: control.url,
    clusters: Object.fromEntries([...servers].map(([name, s]) => {
      const t = tlsByCluster.get(name);
      return [name, { linkHost: host, linkPort: s.port, ...(t ? { tls: { linkPort: t.linkPort, capfPort: t.capfPort, tftpPort: t.tftpPort } } : {}) }];
    })),
    tls: (name) => tlsByCluster.get(name),
    network,
    cluster: (name) => network.cluster(name)!,
    linkServer: (name) => servers.get(name)!,
    dropLinks,
    async stop() {
      for (const c of network.clusters.values()) c.stopTimers();
      await control.close();
      await Promise.all(closers.map((close) => close()));
      await Promise.all([...servers.values()].map((s) => s.close()));
    },
  };
}

export type { SimConfig } from "./config.js";
