// JTAPI's per-connection events -> switch-neutral per-DN facts (shared/uplink.ts), in order.
// JTAPI tells every observer of a call about every connection of it; T-Server needs, for each DN it
// serves, "this call is now dialing / ringing / established / held / gone here".
import { CallType, DNRole } from "../../shared/tlib.js";
import { JtapiCause, type JtapiEvent, type Snapshot } from "../../shared/switch-link.js";
import type { CallPhase, SnapshotDn, SwitchEvent } from "../../shared/uplink.js";

interface CallState {
  calling: string | null;
  called: string | null;
  /** Phase of each DN this agent serves that is a party of the call. */
  phases: Map<string, CallPhase>;
  /** Addresses whose connection is established (any party, local or not). */
  established: Set<string>;
  /** Every party of the call as this link saw them come and go. */
  members: Set<string>;
}

/** A transfer between CiscoTransferStartEv and CiscoTransferEndEv, keyed by link|final call. */
interface Transfer {
  kind: "transfer" | "conference";
  controller: string;
  transferredCallId?: string;
  /** Owned DNs leaving the consult call for the final one, with the phase they had. */
  moving: Map<string, CallPhase>;
  /** The party that joined the final call (the consulted or blind-transfer destination). */
  joined?: string;
}

type Emit = (event: SwitchEvent) => void;

export class Normalizer {
  /** Which link serves each DN: the first whose snapshot lists it. */
  private owner = new Map<string, string>();
  private service = new Map<string, { address: boolean; terminal: boolean }>();
  /** Each link's own view of each call (key link|callId): links see the same calls and must not mix. */
  private calls = new Map<string, CallState>();
  private transfers = new Map<string, Transfer>();

  linkOf(dn: string): string | undefined {
    return this.owner.get(dn);
  }

  servedBy(link: string): string[] {
    return [...this.owner].filter(([, l]) => l === link).map(([dn]) => dn);
  }

  private serves(link: string, dn: string | undefined | null): dn is string {
    return !!dn && this.owner.get(dn) === link;
  }

  private isLocal(dn: string | null | undefined): boolean {
    return !!dn && this.owner.has(dn);
  }

  /** A link's snapshot: claims its DNs, rebuilds their calls, and returns the snapshot fact. */
  snapshot(link: string, snap: Snapshot, time: string): SwitchEvent {
    for (const a of snap.addresses) if (!this.owner.has(a.address)) this.owner.set(a.address, link);
    const mine = snap.addresses.filter((a) => this.owner.get(a.address) === link);
    const dns: SnapshotDn[] = mine.map((a) => ({ dn: a.address, kind: a.kind, inService: a.inService && a.terminalInService, calls: [] }));
    const byDn = new Map(dns.map((d) => [d.dn, d]));
    for (const a of mine) this.service.set(a.address, { address: a.inService, terminal: a.terminalInService });
    // forget what this link knew: the snapshot is the truth now
    this.forgetLink(link);
    for (const c of snap.calls) {
      const established = new Set(c.connections.filter((x) => x.state === "ESTABLISHED").map((x) => x.address));
      const state: CallState = { calling: c.callingAddress, called: c.calledAddress, phases: new Map(), established, members: new Set(c.connections.map((x) => x.address)) };
      this.calls.set(`${link}|${c.callId}`, state);
      for (const conn of c.connections) {
        const entry = byDn.get(conn.address);
        if (!entry) continue;
        const other = c.connections.find((x) => x.address !== conn.address)?.address;
        const isCaller = c.callingAddress === conn.address;
        let phase: CallPhase;
        if (conn.terminalState === "HELD") phase = "held";
        else if (conn.state === "ALERTING" || conn.state === "OFFERED") phase = "ringing";
        else if (conn.state === "INITIATED" || conn.state === "DIALING") phase = "dialing";
        else if (conn.state === "ESTABLISHED") phase = isCaller && ![...established].some((a) => a !== conn.address) ? "dialing" : "established";
        else continue;
        state.phases.set(conn.address, phase);
        entry.calls.push({
          callId: c.callId,
          phase,
          ...(other ? { otherDN: other } : {}),
          role: isCaller ? DNRole.Origination : DNRole.Destination,
          callType: this.callType(isCaller, other),
        });
      }
    }
    return { kind: "snapshot", time, dns };
  }

  private callType(isCaller: boolean, other: string | null | undefined): number {
    if (this.isLocal(other)) return CallType.Internal;
    return isCaller ? CallType.Outbound : CallType.Inbound;
  }

  /** Turns one JTAPI event from a link into zero or more per-DN facts. */
  apply(link: string, e: JtapiEvent, emit: Emit): void {
    const a = e.address;
    switch (e.id) {
      case "CiscoAddrInServiceEv":
      case "CiscoAddrOutOfServiceEv":
      case "CiscoTermInServiceEv":
      case "CiscoTermOutOfServiceEv": {
        if (!this.serves(link, a)) return;
        const s = this.service.get(a) ?? { address: true, terminal: true };
        const before = s.address && s.terminal;
        if (e.id.startsWith("CiscoAddr")) s.address = e.id === "CiscoAddrInServiceEv";
        else s.terminal = e.id === "CiscoTermInServiceEv";
        this.service.set(a, s);
        const after = s.address && s.terminal;
        if (before !== after) emit({ kind: "service", time: e.time, dn: a, inService: after });
        return;
      }
      case "CallInvalidEv": {
        const call = e.callId ? this.calls.get(`${link}|${e.callId}`) : undefined;
        if (call) for (const dn of call.phases.keys()) if (this.serves(link, dn)) emit({ kind: "released", time: e.time, dn, callId: e.callId!, cause: "normal" });
        if (e.callId) this.calls.delete(`${link}|${e.callId}`);
        return;
      }
    }
    if (!e.callId) return;
    const call = this.callState(link, e);
    if (this.duringTransfer(link, e, call, emit)) return;
    switch (e.id) {
      case "ConnCreatedEv":
        if (a) call.members.add(a);
        return;
      case "CallCtlConnDialingEv":
        if (this.serves(link, a) && !call.phases.has(a)) {
          call.phases.set(a, "dialing");
          emit({ kind: "dialing", time: e.time, dn: a, callId: e.callId, ...opt(call.called), callType: this.callType(true, call.called) });
        }
        return;
      case "CiscoTermConnMonitoringStartEv": {
        const monitor = e.monitorAddress;
        if (monitor && e.monitorCallId && this.serves(link, monitor)) {
          const m = this.callState(link, { ...e, callId: e.monitorCallId, callingAddress: monitor, calledAddress: a });
          m.phases.set(monitor, "established");
          emit({ kind: "monitorStarted", time: e.time, dn: monitor, callId: e.monitorCallId, otherDN: a ?? "" });
        }
        if (monitor && this.serves(link, a) && call.phases.has(a)) emit({ kind: "partyAdded", time: e.time, dn: a, callId: e.callId, otherDN: monitor, observer: true });
        return;
      }
      case "RouteEv":
        if (this.serves(link, a) && !call.phases.has(a)) {
          call.phases.set(a, "ringing");
          emit({ kind: "routeRequest", time: e.time, dn: a, callId: e.callId, ...opt(call.calling), ...(call.called ? { dnis: call.called } : {}), callType: this.callType(false, call.calling) });
        }
        return;
      case "RouteUsedEv":
        if (this.serves(link, a) && call.phases.has(a) && e.routeUsed) {
          call.phases.delete(a);
          emit({ kind: "routeUsed", time: e.time, dn: a, callId: e.callId, otherDN: e.routeUsed });
        }
        return;
      case "CallCtlConnAlertingEv":
        if (this.serves(link, a) && !call.phases.has(a)) {
          call.phases.set(a, "ringing");
          emit({ kind: "ringing", time: e.time, dn: a, callId: e.callId, ...opt(call.calling), callType: this.callType(false, call.calling) });
        }
        return;
      case "CallCtlConnEstablishedEv": {
        if (!a) return;
        call.established.add(a);
        // the caller's own "established" right after dialing only means the digits went out
        if (this.serves(link, a) && call.phases.get(a) === "ringing") {
          call.phases.set(a, "established");
          emit({ kind: "established", time: e.time, dn: a, callId: e.callId, ...opt(call.calling), callType: this.callType(false, call.calling) });
        }
        if (a !== call.calling) {
          for (const [dn, phase] of call.phases) {
            if (dn !== a && phase === "dialing" && this.serves(link, dn)) {
              call.phases.set(dn, "established");
              emit({ kind: "established", time: e.time, dn, callId: e.callId, ...opt(call.called ?? a), callType: this.callType(true, call.called ?? a) });
            }
          }
        }
        return;
      }
      case "CallCtlTermConnHeldEv":
        if (this.serves(link, a) && call.phases.get(a) === "established") {
          call.phases.set(a, "held");
          emit({ kind: "held", time: e.time, dn: a, callId: e.callId });
        }
        return;
      case "CallCtlTermConnTalkingEv":
        if (this.serves(link, a) && call.phases.get(a) === "held") {
          call.phases.set(a, "established");
          emit({ kind: "retrieved", time: e.time, dn: a, callId: e.callId });
        }
        return;
      case "CallCtlConnFailedEv":
        // the far party could not be reached: the caller hears busy (or reorder) until it hangs up
        if (a && a !== call.calling && e.cause === JtapiCause.BUSY) {
          for (const [dn, phase] of call.phases) {
            if (dn !== a && phase === "dialing" && this.serves(link, dn)) emit({ kind: "busy", time: e.time, dn, callId: e.callId, otherDN: a });
          }
        }
        return;
      case "CallCtlConnDisconnectedEv":
        if (a) {
          call.members.delete(a);
          // one party left a conference that goes on: the others hear who left
          if (call.members.size >= 2 && e.cause === JtapiCause.NORMAL) {
            for (const dn of call.phases.keys()) if (dn !== a && this.serves(link, dn)) emit({ kind: "partyDeleted", time: e.time, dn, callId: e.callId, otherDN: a });
          }
        }
        if (this.serves(link, a) && call.phases.has(a)) {
          call.phases.delete(a);
          const cause = e.cause === JtapiCause.BUSY ? "busy" : e.cause === JtapiCause.CALL_NOT_ANSWERED ? "noAnswer" : e.cause === JtapiCause.REDIRECTED ? "redirected" : "normal";
          emit({ kind: "released", time: e.time, dn: a, callId: e.callId, cause });
        }
        return;
    }
  }

  /**
   * Transfers (CiscoTransferStartEv ... CiscoTransferEndEv): the controller's calls are released as
   * transferred, a party moving from the consult call to the final call changes calls, and the parties
   * that stay hear who their new other party is. Returns true when it took the event.
   */
  private duringTransfer(link: string, e: JtapiEvent, call: CallState, emit: Emit): boolean {
    const a = e.address;
    if ((e.id === "CiscoTransferStartEv" || e.id === "CiscoConferenceStartEv") && a) {
      const kind = e.id === "CiscoTransferStartEv" ? "transfer" : "conference";
      this.transfers.set(`${link}|${e.callId}`, { kind, controller: a, transferredCallId: e.transferredCallId, moving: new Map() });
      return true;
    }
    const finalKey = `${link}|${e.callId}`;
    const t = this.transfers.get(finalKey) ?? [...this.transfers.values()].find((x) => x.transferredCallId === e.callId);
    if (!t) return false;
    const isConsult = t.transferredCallId === e.callId;
    const bracketCause = t.kind === "transfer" ? JtapiCause.TRANSFER : JtapiCause.CONFERENCE;
    switch (e.id) {
      case "CallCtlConnDisconnectedEv":
        if (a) call.members.delete(a);
        if (e.cause !== bracketCause || !a) return false;
        if (a === t.controller) {
          if (this.serves(link, a) && call.phases.has(a)) emit({ kind: "released", time: e.time, dn: a, callId: e.callId!, cause: t.kind === "transfer" ? "transferred" : "conferenced" });
          call.phases.delete(a);
        } else if (isConsult && call.phases.has(a)) {
          // not gone: on its way to the final call
          t.moving.set(a, call.phases.get(a)!);
          call.phases.delete(a);
        }
        return true;
      case "CallInvalidEv":
        if (isConsult) this.calls.delete(`${link}|${e.callId}`);
        return isConsult;
      case "ConnCreatedEv":
        if (!a || isConsult) return false;
        call.members.add(a);
        t.joined = a;
        if (this.serves(link, a) && t.moving.has(a)) {
          call.phases.set(a, t.moving.get(a)!);
          // after a transfer its other party is whoever stays; in a conference, still the one who brought it in
          const other = t.kind === "conference" ? t.controller : [...call.members].find((m) => m !== a && m !== t.controller);
          emit({ kind: "partyChanged", time: e.time, dn: a, callId: e.callId!, previousCallId: t.transferredCallId, ...opt(other), thirdPartyDN: t.controller });
        }
        return true;
      case "CiscoTransferEndEv":
      case "CiscoConferenceEndEv":
        this.transfers.delete(finalKey);
        for (const dn of call.phases.keys()) {
          if (dn === t.joined || !this.serves(link, dn)) continue;
          // a transfer gives the others a new other party; a conference adds one to everyone, controller included
          if (t.kind === "transfer" && dn !== t.controller) emit({ kind: "partyChanged", time: e.time, dn, callId: e.callId!, ...opt(t.joined), thirdPartyDN: t.controller });
          if (t.kind === "conference" && t.joined) emit({ kind: "partyAdded", time: e.time, dn, callId: e.callId!, otherDN: t.joined, thirdPartyDN: t.controller });
        }
        return true;
      default:
        // the joining party's own connection and terminal events are summed up above; the rest go the usual way
        return e.cause === bracketCause && !isConsult && a === t.joined;
    }
  }

  private callState(link: string, e: JtapiEvent): CallState {
    const key = `${link}|${e.callId}`;
    let call = this.calls.get(key);
    if (!call) {
      call = { calling: e.callingAddress ?? null, called: e.calledAddress ?? null, phases: new Map(), established: new Set(), members: new Set() };
      this.calls.set(key, call);
    }
    if (e.callingAddress !== undefined && e.callingAddress !== null) call.calling = e.callingAddress;
    if (e.calledAddress !== undefined && e.calledAddress !== null) call.called = e.calledAddress;
    return call;
  }

  /** A link went down: its view of the calls is unknown until its next snapshot. */
  forgetLink(link: string): void {
    for (const key of [...this.calls.keys()]) if (key.startsWith(`${link}|`)) this.calls.delete(key);
  }
}

function opt(otherDN: string | null | undefined): { otherDN?: string } {
  return otherDN ? { otherDN } : {};
}
