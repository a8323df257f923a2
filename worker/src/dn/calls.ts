// How one DN's view of its calls follows the switch: pure functions from a switch fact to the
// T-Library events it means for this DN. The Dn object stores the result and distributes the events.
import { AddressStatus, CallState, CallType, DNRole } from "../../../shared/tlib.js";
import type { DnSwitchEvent, SnapshotDn } from "../../../shared/uplink.js";
import type { TEvent } from "../../../shared/client-api.js";
import type { DnCall } from "./types.js";

export interface CallChange {
  events: TEvent[];
  /** The call after the fact (undefined: the call is gone from this DN). */
  call: DnCall | undefined;
}

type CallEventName = "EventPartyChanged" | "EventPartyAdded" | "EventPartyDeleted" | "EventDialing" | "EventRinging" | "EventEstablished" | "EventHeld" | "EventRetrieved" | "EventReleased" | "EventDestinationBusy" | "EventRouteRequest" | "EventRouteUsed";

export function callEvent(name: CallEventName, dn: string, call: DnCall, time: string, extra: Partial<TEvent> = {}): TEvent {
  const event: TEvent = {
    event: name,
    time,
    thisDN: dn,
    connID: call.connID,
    thisDNRole: call.thisRole,
    otherDNRole: call.otherRole,
    callType: call.callType,
    ...extra,
  };
  if (call.otherDN !== undefined) event.otherDN = call.otherDN;
  if (call.userData && Object.keys(call.userData).length > 0) event.userData = call.userData;
  return event;
}

/** Applies one per-DN switch call fact to the DN's call (if any). */
export function applyCallFact(dn: string, current: DnCall | undefined, ev: DnSwitchEvent, connID: string): CallChange {
  switch (ev.kind) {
    case "dialing": {
      const call: DnCall = {
        connID, callId: ev.callId, phase: "dialing", otherDN: ev.otherDN ?? current?.otherDN,
        thisRole: DNRole.Origination, otherRole: DNRole.Destination, callType: ev.callType, userData: current?.userData,
      };
      if (current && current.phase !== "dialing") return { events: [], call: current };
      return { events: [callEvent("EventDialing", dn, call, ev.time, ani(dn, call.otherDN))], call };
    }
    case "ringing": {
      const call: DnCall = {
        connID, callId: ev.callId, phase: "ringing", otherDN: ev.otherDN ?? current?.otherDN,
        thisRole: DNRole.Destination, otherRole: DNRole.Origination, callType: ev.callType, userData: current?.userData,
      };
      if (current && current.phase !== "ringing") return { events: [], call: current };
      return { events: [callEvent("EventRinging", dn, call, ev.time, ani(call.otherDN, ev.dnis ?? dn))], call };
    }
    case "established": {
      const base: DnCall = current ?? {
        connID, callId: ev.callId, phase: "established", otherDN: ev.otherDN,
        thisRole: DNRole.Destination, otherRole: DNRole.Origination, callType: ev.callType,
      };
      if (current?.phase === "established" || current?.phase === "held") return { events: [], call: current };
      const call: DnCall = { ...base, phase: "established", otherDN: ev.otherDN ?? base.otherDN };
      return { events: [callEvent("EventEstablished", dn, call, ev.time)], call };
    }
    case "held": {
      if (!current || current.phase === "held") return { events: [], call: current };
      const call: DnCall = { ...current, phase: "held" };
      return { events: [callEvent("EventHeld", dn, call, ev.time)], call };
    }
    case "retrieved": {
      if (!current || current.phase !== "held") return { events: [], call: current };
      const call: DnCall = { ...current, phase: "established" };
      return { events: [callEvent("EventRetrieved", dn, call, ev.time)], call };
    }
    case "routeRequest": {
      if (current) return { events: [], call: current };
      const call: DnCall = {
        connID, callId: ev.callId, phase: "ringing", otherDN: ev.otherDN,
        thisRole: DNRole.Destination, otherRole: DNRole.Origination, callType: ev.callType,
      };
      // GENEM Call-Routing Events: ThisQueue is mandatory and is the routing point itself
      return { events: [callEvent("EventRouteRequest", dn, call, ev.time, { thisQueue: dn, ...ani(ev.otherDN, ev.dnis ?? dn) })], call };
    }
    case "routeUsed": {
      if (!current) return { events: [], call: undefined };
      // the call has left the route point (routed, or the switch's default route): GENEM puts where it went in
      // ThirdPartyDN with ThirdPartyDNRole Destination; OtherDN stays the caller
      return { events: [callEvent("EventRouteUsed", dn, current, ev.time, { thisQueue: dn, thirdPartyDN: ev.otherDN, thirdPartyDNRole: DNRole.Destination })], call: undefined };
    }
    case "partyAdded": {
      if (!current) return { events: [], call: current };
      if (ev.observer) {
        // a silent observer joined: the DN's own role does not change
        return { events: [callEvent("EventPartyAdded", dn, { ...current, otherDN: ev.otherDN, otherRole: DNRole.Observer }, ev.time)], call: current };
      }
      return { events: [callEvent("EventPartyAdded", dn, { ...current, otherDN: ev.otherDN, thisRole: DNRole.ConferenceMember, otherRole: DNRole.NewParty }, ev.time, ev.thirdPartyDN ? { thirdPartyDN: ev.thirdPartyDN, thirdPartyDNRole: DNRole.AddedBy } : {})], call: { ...current, thisRole: DNRole.ConferenceMember } };
    }
    case "monitorStarted": {
      const call: DnCall = { connID, callId: ev.callId, phase: "established", otherDN: ev.otherDN, thisRole: DNRole.Observer, otherRole: DNRole.Destination, callType: CallType.Internal };
      return { events: [callEvent("EventEstablished", dn, call, ev.time)], call };
    }
    case "partyDeleted": {
      if (!current) return { events: [], call: current };
      return { events: [callEvent("EventPartyDeleted", dn, { ...current, otherDN: ev.otherDN, otherRole: DNRole.DeletedParty }, ev.time)], call: current };
    }
    case "busy": {
      if (!current) return { events: [], call: current };
      return { events: [callEvent("EventDestinationBusy", dn, current, ev.time, { callState: CallState.Busy })], call: current };
    }
    case "released": {
      if (!current) return { events: [], call: undefined };
      const callState = ev.cause === "busy" ? CallState.Busy : ev.cause === "noAnswer" ? CallState.NoAnswer : ev.cause === "transferred" ? CallState.Transferred : ev.cause === "redirected" ? CallState.Redirected : ev.cause === "conferenced" ? CallState.Conferenced : CallState.Ok;
      return { events: [callEvent("EventReleased", dn, current, ev.time, { callState })], call: undefined };
    }
    default:
      return { events: [], call: current };
  }
}

function ani(calling: string | undefined, called: string | undefined): Partial<TEvent> {
  const out: Partial<TEvent> = {};
  if (calling) out.ani = calling;
  if (called) out.dnis = called;
  return out;
}

/** After a transfer: the DN's call (found under its previous call id if it moved) gets its new connID and other party. */
export function applyPartyChanged(dn: string, current: DnCall | undefined, ev: Extract<DnSwitchEvent, { kind: "partyChanged" }>, connID: string, previousConnID?: string): CallChange {
  if (!current) return { events: [], call: undefined };
  const call: DnCall = { ...current, connID, callId: ev.callId, otherDN: ev.otherDN ?? current.otherDN, callType: current.callType === 4 ? 1 : current.callType };
  const thirdPartyDNRole = ev.conferenced ? DNRole.ConferencedBy : DNRole.TransferredBy;
  const extra: Partial<TEvent> = { ...(ev.thirdPartyDN ? { thirdPartyDN: ev.thirdPartyDN, thirdPartyDNRole } : {}), ...(previousConnID && previousConnID !== connID ? { previousConnID } : {}) };
  return { events: [callEvent("EventPartyChanged", dn, call, ev.time, extra)], call };
}

/**
 * Reconciles the DN's calls with a snapshot of the switch: calls the switch no longer has are
 * released, new ones appear in their phase, and phases that moved on produce the missing event.
 */
export function reconcile(dn: string, calls: Map<string, DnCall>, entry: SnapshotDn, connIDs: Record<string, string>, time: string): { events: TEvent[]; calls: Map<string, DnCall> } {
  const events: TEvent[] = [];
  const next = new Map<string, DnCall>();
  const seen = new Set<string>();
  for (const s of entry.calls) {
    seen.add(s.callId);
    const have = calls.get(s.callId);
    // what the control plane decided about a call it knows stays: its connID (a monitor call's is aliased
    // to the monitored call's) and its roles (10 for observers, 3 in a conference: the snapshot only knows 1 and 2)
    const call: DnCall = have
      ? { ...have, phase: s.phase, otherDN: s.otherDN ?? have.otherDN }
      : { connID: connIDs[s.callId]!, callId: s.callId, phase: s.phase, otherDN: s.otherDN, thisRole: s.role, otherRole: s.role === DNRole.Origination ? DNRole.Destination : DNRole.Origination, callType: s.callType };
    next.set(s.callId, call);
    if (have?.phase === s.phase) continue;
    if (!have) {
      const first = s.phase === "dialing" ? "EventDialing" : s.phase === "ringing" ? "EventRinging" : "EventEstablished";
      events.push(callEvent(first, dn, call, time));
      if (s.phase === "held") events.push(callEvent("EventHeld", dn, call, time));
    } else if (s.phase === "held") {
      if (have.phase !== "established") events.push(callEvent("EventEstablished", dn, { ...call, phase: "established" }, time));
      events.push(callEvent("EventHeld", dn, call, time));
    } else if (s.phase === "established") {
      events.push(callEvent(have.phase === "held" ? "EventRetrieved" : "EventEstablished", dn, call, time));
    }
    // a call cannot go back to dialing or ringing; the switch's word still wins for the stored phase
  }
  for (const [callId, have] of calls) {
    if (!seen.has(callId)) events.push(callEvent("EventReleased", dn, have, time, { callState: CallState.Ok }));
  }
  return { events, calls: next };
}

/** AddressStatus of RequestQueryAddress for a DN with these calls. */
export function addressStatus(inService: boolean, calls: Iterable<DnCall>): number {
  if (!inService) return AddressStatus.Maintenance;
  let status: number = AddressStatus.Idle;
  for (const c of calls) {
    if (c.phase === "established") return AddressStatus.Talking;
    if (c.phase === "ringing") status = AddressStatus.Ringing;
    else if (c.phase === "dialing" && status !== AddressStatus.Ringing) status = AddressStatus.Dialing;
    else if (c.phase === "held" && status === AddressStatus.Idle) status = AddressStatus.Held;
  }
  return status;
}
