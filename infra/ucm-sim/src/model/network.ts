// The clusters of one simulator, the trunks between them, and the PSTN of the remote destinations.
import type { SimConfig } from "../config.js";
import { Cluster, type Network as NetworkPort } from "./cluster.js";

export class Network implements NetworkPort {
  readonly clusters = new Map<string, Cluster>();
  private readonly trunks = new Set<string>();
  private readonly pstn = new Set<string>();

  constructor(config: SimConfig) {
    for (const [a, b] of config.trunks) {
      this.trunks.add(`${a}|${b}`);
      this.trunks.add(`${b}|${a}`);
    }
    for (const c of config.clusters) {
      this.clusters.set(c.name, new Cluster(c, this));
      for (const d of c.devices) for (const rd of d.remoteDestinations) this.pstn.add(rd.number);
    }
  }

  cluster(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  ownerOf(number: string): string | null {
    let best: { name: string; length: number } | null = null;
    for (const c of this.clusters.values()) {
      for (const prefix of c.config.numberPrefixes) {
        if (number.startsWith(prefix) && (!best || prefix.length > best.length)) best = { name: c.name, length: prefix.length };
      }
    }
    return best?.name ?? null;
  }

  isPstnNumber(number: string): boolean {
    return this.pstn.has(number);
  }

  offerOverTrunk(fromCluster: string, nearCallId: string, from: string, to: string): { callId: string } | "busy" | "unknown" {
    const owner = this.ownerOf(to);
    if (!owner || !this.trunks.has(`${fromCluster}|${owner}`)) return "unknown";
    return this.clusters.get(owner)!.acceptFromTrunk({ cluster: fromCluster, callId: nearCallId }, from, to);
  }

  /** The far cluster's own busy verdict (Cluster.busyAt), asked before a single-step transfer over the trunk (JDG "Single Step Transfer"; jtapi-fidelity B.1 (3) step 5). */
  busyOverTrunk(fromCluster: string, to: string): boolean {
    const owner = this.ownerOf(to);
    if (!owner || !this.trunks.has(`${fromCluster}|${owner}`)) return false;
    return this.clusters.get(owner)!.busyAt(to);
  }

  peerAnswered(peer: { cluster: string; callId: string }): void {
    this.clusters.get(peer.cluster)?.farAnswered(peer.callId);
  }

  repointPeer(farPeer: { cluster: string; callId: string }, nearCluster: string, nearCallId: string): void {
    this.clusters.get(farPeer.cluster)?.repointedPeer(farPeer.callId, { cluster: nearCluster, callId: nearCallId });
  }

  peerCleared(peer: { cluster: string; callId: string }): void {
    this.clusters.get(peer.cluster)?.farCleared(peer.callId);
  }
}
