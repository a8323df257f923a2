import type { CallPhase, DnSwitchEvent, SnapshotDn } from "../../../shared/uplink.js";
import type { TEvent } from "../../../shared/client-api.js";

export interface DnConfig {
  type: "Extension" | "ACDPosition" | "RoutingPoint";
  switchSpecificType?: number;
  annex?: Record<string, Record<string, string>>;
}

/** A call as this DN sees it. */
export interface DnCall {
  connID: string;
  callId: string;
  phase: CallPhase;
  otherDN?: string;
  thisRole: number;
  otherRole: number;
  callType: number;
  /** The call's user data as last heard from its Call object (carried in call events). */
  userData?: Record<string, string | number | boolean | null>;
  /** This DN is a party of the call's Call object (which exists only once the call carries user data). */
  dataParty?: true;
  /** F2, the monitored agent's call: the observer listening to it (a DN here, or a number over a trunk). */
  observer?: string;
  /** F2, a CTI port's monitor call: the agent's DN it listens to (its connID is the monitored call's). */
  monitorOf?: string;
  /** F2: this DN's leg is a remote observer's (GCTI-REMOTE-OBSERVE): its events carry the extension. */
  remoteObserve?: boolean;
  /** When the call became established here, and when the T-Server releases it (CTI port, cti-port-release-timeout; 0: not). */
  establishedAt?: number;
  releaseAt?: number;
}

/** What the Site hands a Dn: switch facts in stream order, each with its index in the site's batch. */
export type DnInput =
  | { idx: number; kind: "switch"; ev: DnSwitchEvent; connID?: string; previousConnID?: string; callData?: true }
  | { idx: number; kind: "link"; up: boolean; time: string }
  | { idx: number; kind: "snapshot"; time: string; entry: SnapshotDn; connIDs: Record<string, string>; dataConnIDs?: string[] };
// callData / dataConnIDs: the call has a Call object (user data): a DN that joins it fetches the data

/** An event for one session; `idx` orders it among the batch's other deliveries. */
export interface Delivery {
  idx: number;
  sessionId: string;
  event: TEvent;
}

/**
 * What a Dn object needs to start: the Site keeps every configured DN's configuration and, for DNs
 * whose object does not exist yet (idle: no session, no call), the switch's service state; the object
 * is created on first need (a request, a call, an event) from this (issue 13: 40,000 DNs).
 */
export interface DnSetup {
  identity: { tenant: string; site: string; number: string };
  config: DnConfig;
  linkUp: boolean;
  switchInService: boolean;
}
