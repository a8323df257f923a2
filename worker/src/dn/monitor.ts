// Feature F2 (seed "Cross-cluster supervisor monitoring"; jtapi-fidelity.md B.1): the pure decisions of
// silent monitoring through a CTI port and of handing the monitor call to a remote observer. The Dn
// object keeps the state named here and does the talking to other objects.
import { CallState, CallType, DNRole, ErrorCode, MonitorNextCallType, SwitchSpecificType } from "../../../shared/tlib.js";
import type { TEvent } from "../../../shared/client-api.js";
import type { DnSwitchEvent } from "../../../shared/uplink.js";
import { callEvent, type CallChange } from "./calls.js";
import type { DnCall, DnConfig } from "./types.js";

export const REMOTE_OBSERVE = "GCTI-REMOTE-OBSERVE";

export type Refusal = { code: number; message: string };

/** The agent's call the CTI port's monitor call will listen to: the agent's Dn hands it over before startMonitor. */
export interface MonitorHandOff {
  agentDN: string;
  /** The monitored call (GC1) and its connID, which the monitor call's events carry (PSDK: "conferenced in as a party"). */
  monitoredCallId: string;
  connID: string;
  callType: number;
  userData?: DnCall["userData"];
}

/**
 * What a remote observer's destination DN waits for: an ISCC-like transaction recorded by the CTI port's
 * Dn (possibly of another site) before it single-step transfers the monitor call here.
 */
export interface RemoteObserverExpectation {
  id: string;
  originSite: string;
  originDN: string;
  originConnID: string;
  monitoredDN: string;
  /** The calling number the monitor call should arrive with (the agent's DN: GC2's remaining party). */
  ani: string;
  userData?: DnCall["userData"];
  /** The requester, told of the outcome when the location is another site; absent for the local variant. */
  requester?: { sessionId: string; location: string };
  expiresAt: number;
}

/** RequestMonitorNextCall's own limits (B.1 (4)): MonitorOneCall only, silent only. */
export function checkMonitorRequest(monitorNextCallType: number | undefined, extensions: Record<string, unknown> | undefined): Refusal | null {
  if (monitorNextCallType === MonitorNextCallType.AllCalls) {
    return { code: ErrorCode.UnsupportedOperation, message: "monitorNextCallType 1 (MonitorAllCalls) is not supported: only MonitorNextCall (one call); send a new request for every call" };
  }
  const mode = extensions?.MonitorMode;
  if (mode !== undefined) {
    const value = String(mode).toLowerCase();
    if (["coach", "connect", "normal"].includes(value)) return { code: ErrorCode.UnsupportedOperation, message: `MonitorMode ${String(mode)} is not supported: silent monitoring only (MonitorMode mute)` };
    if (value !== "mute") return { code: ErrorCode.InvalidAttribute, message: `extension MonitorMode: "${String(mode)}" is not valid; valid values: mute (coach, connect and normal are not supported)` };
  }
  return null;
}

/** The CTI port's monitor call began (monitorStarted): EventEstablished with role 10 under the monitored call's connID. */
export function monitorStarted(dn: string, ev: Extract<DnSwitchEvent, { kind: "monitorStarted" }>, connID: string, handOff: MonitorHandOff | undefined, now: number): CallChange {
  const call: DnCall = {
    connID: handOff?.connID ?? connID, callId: ev.callId, phase: "established", otherDN: ev.otherDN,
    thisRole: DNRole.Observer, otherRole: DNRole.Destination, callType: handOff?.callType ?? CallType.Internal,
    ...(handOff?.userData ? { userData: handOff.userData } : {}), monitorOf: ev.otherDN, establishedAt: now,
  };
  return { events: [callEvent("EventEstablished", dn, call, ev.time)], call };
}

/** On the monitored agent's DN: an observer was added to its call, moved (single-step transfer of the monitor call), or left. */
export function applyObserver(dn: string, current: DnCall | undefined, ev: Extract<DnSwitchEvent, { kind: "observer" }>): CallChange {
  if (!current) return { events: [], call: current };
  const observed = (otherDN: string, otherRole: number) => callEvent("EventPartyAdded", dn, { ...current, otherDN, otherRole }, ev.time);
  switch (ev.change) {
    case "added":
      if (current.observer === ev.otherDN) return { events: [], call: current };
      return { events: [observed(ev.otherDN, DNRole.Observer)], call: { ...current, observer: ev.otherDN } };
    case "changed": {
      // the observer leg is one party whose DN changes (B.1 (3) step 3): only a local observer is announced (seed)
      const events = ev.addressType === "internal" && current.observer !== ev.otherDN ? [observed(ev.otherDN, DNRole.Observer)] : [];
      return { events, call: { ...current, observer: ev.otherDN } };
    }
    case "ended": {
      const who = current.observer ?? ev.otherDN;
      const { observer: _gone, ...rest } = current;
      return { events: [callEvent("EventPartyDeleted", dn, { ...current, otherDN: who, otherRole: DNRole.DeletedParty }, ev.time)], call: rest };
    }
  }
}

/** Requests that would move a monitor call other than by single-step transfer (seed: "Only single-step transfer is supported"). */
export function refuseOnMonitorCall(request: string, call: DnCall | undefined): Refusal | null {
  if (!call?.monitorOf) return null;
  if (["RequestInitiateTransfer", "RequestMuteTransfer", "RequestInitiateConference", "RequestSingleStepConference"].includes(request)) {
    return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is a monitor call: only single-step transfer is supported (RequestSingleStepTransfer with GCTI-REMOTE-OBSERVE)` };
  }
  return null;
}

/** Reads GCTI-REMOTE-OBSERVE: true, false, or a refusal for another value. */
export function remoteObserveFlag(extensions: Record<string, unknown> | undefined): boolean | Refusal {
  const raw = extensions?.[REMOTE_OBSERVE];
  if (raw === undefined || raw === false || raw === "false") return false;
  if (raw === true || raw === "true") return true;
  return { code: ErrorCode.InvalidAttribute, message: `extension ${REMOTE_OBSERVE}: "${String(raw)}" is not valid; valid values: true, false` };
}

/** GCTI-REMOTE-OBSERVE=true is for the monitor call of a CTI port (switch-specific type 2). */
export function checkRemoteObserveSource(dn: string, config: DnConfig, call: DnCall): Refusal | null {
  if (config.switchSpecificType !== SwitchSpecificType.CtiPort) return { code: ErrorCode.InvalidAttribute, message: `${REMOTE_OBSERVE}=true: DN ${dn} is not a CTI port (an Extension with switch-specific type 2)` };
  if (!call.monitorOf) return { code: ErrorCode.InvalidAttribute, message: `${REMOTE_OBSERVE}=true: connID ${call.connID} is not DN ${dn}'s monitor call` };
  return null;
}

/** The destination DN's checks before it accepts an expectation (B.1 (4)). */
export function checkExpectation(dn: string, site: string, linkUp: boolean, inService: boolean, pending: RemoteObserverExpectation[], now: number): Refusal | null {
  if (!linkUp) return { code: ErrorCode.RemoteLinkDisconnected, message: `the link of location ${site} is down` };
  if (!inService) return { code: ErrorCode.OutOfService, message: `DN ${dn} at location ${site} is out of service` };
  if (pending.some((e) => e.expiresAt > now)) return { code: ErrorCode.ResourceSeized, message: `a remote observation to DN ${dn} at ${site} is already pending: one at a time per destination` };
  return null;
}

/**
 * A call rings at a DN that waits for a remote observer: the expectation it is, matched first by the
 * calling number (ISCC direct-ani), else the oldest one still in its window (direct-notoken).
 */
export function matchExpectation(pending: RemoteObserverExpectation[], calling: string | undefined, now: number): RemoteObserverExpectation | undefined {
  const live = pending.filter((e) => e.expiresAt > now);
  return live.find((e) => calling !== undefined && e.ani === calling) ?? live[0];
}

/** The matched call becomes the observer's: role 10, the monitored call's user data, the extension on its events. */
export function asRemoteObserver(change: CallChange, expectation: RemoteObserverExpectation): CallChange {
  if (!change.call) return change;
  const call: DnCall = { ...change.call, thisRole: DNRole.Observer, otherRole: DNRole.Origination, remoteObserve: true, ...(expectation.userData && Object.keys(expectation.userData).length > 0 ? { userData: expectation.userData } : {}) };
  const events = change.events.map((e) => withObserverMarks(e, call));
  return { events, call };
}

/** Every call event of a remote observer's leg carries role 10 and the extension. */
export function withObserverMarks(event: TEvent, call: DnCall): TEvent {
  if (!call.remoteObserve || !event.connID) return event;
  const out: TEvent = { ...event, thisDNRole: DNRole.Observer, extensions: { ...(event.extensions ?? {}), [REMOTE_OBSERVE]: "true" } };
  if (call.userData && Object.keys(call.userData).length > 0 && !out.userData) out.userData = call.userData;
  return out;
}

/** The CTI port's EventReleased for a monitor call it single-step transferred: callState 1, the destination as third party. */
export function transferredAway(event: TEvent, destination: string): TEvent {
  return { ...event, callState: CallState.Transferred, thirdPartyDN: destination };
}
