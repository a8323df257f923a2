// JTAPI's per-connection events -> switch-neutral per-DN facts (shared/uplink.ts), in order.
// JTAPI tells every observer of a call about every connection and terminal connection of it, core and
// call-control flavours of the same change included; T-Server needs, once per change, for each DN the
// agent serves: "this call is now dialing / ringing / established / held / gone here".
// Pure and synchronous: state in, facts out; the agent feeds it from every link.
import { CallType, DNRole } from "../../shared/tlib.js";
import { AddressType, type DeviceKind, JtapiCause, type JtapiEvent, type Snapshot, type SnapshotCall, type SwitchOp } from "../../shared/switch-link.js";
import type { CallPhase, SnapshotDn, SwitchEvent } from "../../shared/uplink.js";
import { AddedParties } from "./add-party.js";
import { Merges, type MergeHost } from "./merges.js";
import { Redirects } from "./routes.js";
import { SingleStepTransfers } from "./single-step.js";
import { MonitorFacts } from "./monitor-facts.js";
import { remoteDestinationFact, snapshotRemote } from "./remote-facts.js";

interface CallState {
  calling: string | null;
  called: string | null;
  /** Phase of each DN this agent serves that is a party of the call. */
  phases: Map<string, CallPhase>;
  /** Addresses whose connection is established (any party, local or not). */
  established: Set<string>;
  /** Every party of the call as this link saw them come and go. */
  members: Set<string>;
  /** Served DNs already told that their destination is busy (the paired failed events say it twice). */
  toldBusy: Set<string>;
}

type Emit = (event: SwitchEvent) => void;
type ReleaseCause = Extract<SwitchEvent, { kind: "released" }>["cause"];

/** Why a connection went away, in the uplink's words. */
function releaseCause(jtapiCause: number): ReleaseCause {
  switch (jtapiCause) {
    case JtapiCause.BUSY: return "busy";
    case JtapiCause.CALL_NOT_ANSWERED: return "noAnswer";
    case JtapiCause.REDIRECTED: return "redirected";
    case JtapiCause.DEST_NOT_OBTAINABLE:
    case JtapiCause.RESOURCES_NOT_AVAILABLE:
    case JtapiCause.NETWORK_NOT_OBTAINABLE: return "failed";
    default: return "normal";
  }
}

export class Normalizer {
  /** Which link serves each DN: the first whose snapshot lists it. */
  private owner = new Map<string, string>();
  /** The served DNs on each terminal (a terminal event may name only the device). */
  private terminalDns = new Map<string, Set<string>>();
  private service = new Map<string, { address: boolean; terminal: boolean }>();
  /** The route points the snapshots listed (a call routed from one keeps it as its DNIS). */
  private routePoints = new Set<string>();
  /** Each link's own view of each call (key link|callId): links see the same calls and must not mix. */
  private calls = new Map<string, CallState>();
  /** Consult transfers and conferences under way (merges.ts). */
  private merges = new Merges();
  /** Single-step transfers the agent issued: Cisco brackets them with nothing (single-step.ts). */
  private singleStep = new SingleStepTransfers();
  /** Silent monitoring's own rules (monitor-facts.ts). */
  private monitoring = new MonitorFacts();
  /** Each served DN's device kind, from the snapshots. */
  private kinds = new Map<string, DeviceKind>();
  /** Redirects the agent issued, route points' calls and their default route (routes.ts). */
  private redirects = new Redirects();
  /** Parties the agent added to a call (RequestSingleStepConference, add-party.ts). */
  private added = new AddedParties();

  /**
   * The switch accepted a request of this agent on `link` (the CommandRunner tells, as the answer is
   * read: before the events the request caused). Some of JTAPI's reports can only be read knowing it.
   */
  switchAccepted(link: string, op: SwitchOp, result: Record<string, unknown> = {}): void {
    if (op.op === "singleStepTransfer") this.singleStep.accepted(link, op.callId, op.address);
    // startMonitor: the monitor call's initiator gets monitorStarted, not dialing (monitor-facts.ts)
    if (op.op === "startMonitor" && typeof result.callId === "string") this.expectMonitor(link, result.callId, op.monitor, op.address, op.callId);
    if (op.op === "redirect") this.redirects.accepted(link, op.callId, op.address, op.destination);
    if (op.op === "addParty") this.added.accepted(link, op.callId, op.address);
    this.merges.accepted(link, op);
  }

  /**
   * This agent's startMonitor placed `monitorCallId` on `link` (the switch's answer, which precedes the call's
   * events): its initiator `monitor` gets monitorStarted, not dialing.
   */
  expectMonitor(link: string, monitorCallId: string, monitor: string, target: string, monitoredCallId: string): void {
    this.monitoring.expect(link, monitorCallId, monitor, target, monitoredCallId);
  }

  private mergeHost(link: string): MergeHost {
    return {
      serves: (dn) => this.serves(link, dn),
      call: (callId) => this.calls.get(`${link}|${callId}`),
      forget: (callId) => this.calls.delete(`${link}|${callId}`),
    };
  }

  /** The link that serves a DN, if any. */
  linkOf(dn: string): string | undefined {
    return this.owner.get(dn);
  }

  private serves(link: string, dn: string | undefined | null): dn is string {
    return !!dn && this.owner.get(dn) === link;
  }

  private isLocal(dn: string | null | undefined): boolean {
    return !!dn && this.owner.has(dn);
  }

  /** A link's snapshot: claims its DNs, rebuilds their calls, and returns the snapshot fact. */
  snapshot(link: string, snap: Snapshot, time: string): Extract<SwitchEvent, { kind: "snapshot" }> {
    const listed = new Set(snap.addresses.map((a) => a.address));
    // DNs this link no longer lists are no longer observed through it
    for (const [dn, l] of this.owner) if (l === link && !listed.has(dn)) this.owner.delete(dn);
    for (const a of snap.addresses) if (!this.owner.has(a.address)) this.owner.set(a.address, link);
    const mine = snap.addresses.filter((a) => this.owner.get(a.address) === link);
    for (const a of snap.addresses) if (a.kind === "routePoint") this.routePoints.add(a.address);
    for (const a of mine) {
      this.kinds.set(a.address, a.kind);
      this.service.set(a.address, { address: a.inService, terminal: a.terminalInService });
      let dns = this.terminalDns.get(a.terminal);
      if (!dns) this.terminalDns.set(a.terminal, (dns = new Set()));
      dns.add(a.address);
    }
    const dns: SnapshotDn[] = mine.map((a) => {
      const remote = snapshotRemote(a);
      return { dn: a.address, kind: a.kind, inService: a.inService && a.terminalInService, ...(remote ? { remote } : {}), calls: [] };
    });
    const byDn = new Map(dns.map((d) => [d.dn, d]));
    // forget what this link knew: the snapshot is the truth now
    this.forgetLink(link);
    for (const c of snap.calls) {
      // a monitor call's target leg (the agent's built-in bridge) is no party of it
      const parties = c.connections.filter((x) => x.addressType !== AddressType.MONITORING_TARGET);
      const established = new Set(parties.filter((x) => x.state === "ESTABLISHED").map((x) => x.address));
      const state: CallState = { calling: c.callingAddress, called: c.calledAddress, phases: new Map(), established, members: new Set(parties.map((x) => x.address)), toldBusy: new Set() };
      this.calls.set(`${link}|${c.callId}`, state);
      for (const conn of c.connections) {
        const entry = byDn.get(conn.address);
        const monitorView = entry && this.monitoring.snapshotView(c, conn.address);
        if (monitorView && "skip" in monitorView) continue;
        if (entry && monitorView) {
          state.phases.set(conn.address, monitorView.phase);
          entry.calls.push({ callId: c.callId, phase: monitorView.phase, otherDN: monitorView.otherDN, role: DNRole.Observer, callType: CallType.Internal });
          continue;
        }
        const seen = entry && this.snapshotView(c, conn.address);
        if (!entry || !seen) continue;
        state.phases.set(conn.address, seen.phase);
        entry.calls.push({
          callId: c.callId,
          phase: seen.phase,
          ...opt(seen.otherDN),
          role: seen.isCaller ? DNRole.Origination : DNRole.Destination,
          callType: this.callType(seen.isCaller, seen.otherDN),
        });
      }
    }
    return { kind: "snapshot", time, dns };
  }

  /** How a served DN sees a call of a snapshot: its phase and the other party; null when it has no live part in it. */
  private snapshotView(c: SnapshotCall, dn: string): { phase: CallPhase; otherDN: string | undefined; isCaller: boolean } | null {
    const conn = c.connections.find((x) => x.address === dn)!;
    const isCaller = c.callingAddress === dn;
    const others = c.connections.filter((x) => x.address !== dn && x.state !== "DISCONNECTED" && x.state !== "FAILED");
    const answered = others.find((x) => x.state === "ESTABLISHED");
    let phase: CallPhase;
    if (conn.terminalState === "HELD") phase = "held";
    else if (conn.state === "ALERTING" || conn.state === "OFFERED") phase = "ringing";
    else if (conn.state === "INITIATED" || conn.state === "DIALING") phase = "dialing";
    // the caller's own connection is established once the digits went out; answered only when the far party is
    else if (conn.state === "ESTABLISHED") phase = isCaller && !answered ? "dialing" : "established";
    // a caller whose call failed (busy, unallocated) keeps it until it hangs up
    else if (conn.state === "FAILED" && isCaller) phase = "dialing";
    else return null;
    const otherDN = isCaller ? (answered?.address ?? c.calledAddress ?? others[0]?.address) : (c.callingAddress ?? others[0]?.address);
    return { phase, otherDN: otherDN ?? undefined, isCaller };
  }

  /** Internal when the other party is an address this agent knows on the cluster, else external. */
  private callType(isCaller: boolean, other: string | null | undefined): number {
    if (this.isLocal(other)) return CallType.Internal;
    return isCaller ? CallType.Outbound : CallType.Inbound;
  }

  /** Turns one JTAPI event from a link into zero or more per-DN facts, emitted in order. */
  apply(link: string, e: JtapiEvent, emit: Emit): void {
    const a = e.address;
    switch (e.id) {
      case "CiscoAddrInServiceEv":
      case "CiscoAddrOutOfServiceEv":
      case "CiscoTermInServiceEv":
      case "CiscoTermOutOfServiceEv":
        return this.serviceChanged(link, e, emit);
      case "CiscoProvTerminalRemoteDestinationChangedEv":
        if (this.serves(link, a)) emit(remoteDestinationFact(e, a));
        return;
      case "CallInvalidEv": {
        if (e.callId) this.monitoring.forget(link, e.callId);
        if (this.merges.apply(link, e, this.mergeHost(link), emit)) return;
        const call = e.callId ? this.calls.get(`${link}|${e.callId}`) : undefined;
        if (call) for (const dn of call.phases.keys()) if (this.serves(link, dn)) emit({ kind: "released", time: e.time, dn, callId: e.callId!, cause: releaseCause(e.cause) });
        if (e.callId) this.calls.delete(`${link}|${e.callId}`);
        if (e.callId) this.singleStep.callEnded(link, e.callId);
        if (e.callId) this.redirects.callEnded(link, e.callId);
        if (e.callId) this.added.forget(link, e.callId);
        return;
      }
    }
    if (!e.callId) return;
    const call = this.callState(link, e);
    const serves = (dn: string) => this.serves(link, dn);
    if (this.monitoring.apply(link, e, call, serves, emit)) return;
    if (this.singleStep.before(link, e, call, serves, emit)) return;
    if (this.redirects.before(link, e as JtapiEvent & { callId: string }, call, serves, emit)) return;
    if (this.merges.apply(link, e, this.mergeHost(link), emit)) return;
    this.added.before(link, e, call);
    this.callEvent(link, e as JtapiEvent & { callId: string }, call, emit);
    this.singleStep.after(link, e, call, serves, emit);
    this.added.after(link, e, call, serves, emit);
  }

  /** The usual facts of one event of a call. */
  private callEvent(link: string, e: JtapiEvent & { callId: string }, call: CallState, emit: Emit): void {
    const a = e.address;
    // each fact below has a core and a call-control event (ConnAlertingEv and CallCtlConnAlertingEv, ...):
    // either one makes the fact, the phase check makes it once
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
      case "CallCtlConnInitiatedEv":
        // a remote terminal's CTI call rings its mobile first; it is dialing from now on (jtapi-fidelity B.2 (3) d)
        if (this.serves(link, a) && this.kinds.get(a) === "remoteTerminal" && !call.phases.has(a)) {
          call.phases.set(a, "dialing");
          emit({ kind: "dialing", time: e.time, dn: a, callId: e.callId, ...opt(call.called), callType: this.callType(true, call.called) });
        }
        return;
      case "RouteEvent":
        if (this.serves(link, a) && !call.phases.has(a)) {
          call.phases.set(a, "ringing");
          emit({ kind: "routeRequest", time: e.time, dn: a, callId: e.callId, ...opt(call.calling), ...(call.called ? { dnis: call.called } : {}), callType: this.callType(false, call.calling) });
        }
        return;
      case "RouteUsedEvent":
        // a bridge that routes with RouteSession.selectRoute reports where the call went
        if (this.serves(link, a) && call.phases.has(a) && e.routeUsed) {
          // the call leaves the route point: its disconnect that follows is no release of its own
          call.phases.delete(a);
          emit({ kind: "routeUsed", time: e.time, dn: a, callId: e.callId, otherDN: e.routeUsed });
        }
        return;
      case "ConnAlertingEv":
      case "CallCtlConnAlertingEv":
      case "TermConnRingingEv":
      case "CallCtlTermConnRingingEv":
        if (this.serves(link, a) && !call.phases.has(a)) {
          call.phases.set(a, "ringing");
          // the number dialed, when the call reached this DN through a route point (jtapi-fidelity A8, [I] decided)
          emit({ kind: "ringing", time: e.time, dn: a, callId: e.callId, ...opt(call.calling), callType: this.callType(false, call.calling), ...(call.called && call.called !== a && this.routePoints.has(call.called) ? { dnis: call.called } : {}) });
        }
        return;
      case "ConnConnectedEv":
      case "CallCtlConnEstablishedEv":
        return this.connected(link, call, e, emit);
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
      case "ConnFailedEv":
      case "CallCtlConnFailedEv":
        return this.failed(link, call, e, emit);
      case "ConnDisconnectedEv":
      case "CallCtlConnDisconnectedEv":
        // one party left a conference that goes on: the others hear who left (once, on the first of the pair)
        if (a && call.members.delete(a) && call.members.size >= 2 && e.cause === JtapiCause.NORMAL) {
          for (const dn of call.phases.keys()) if (dn !== a && this.serves(link, dn)) emit({ kind: "partyDeleted", time: e.time, dn, callId: e.callId, otherDN: a });
        }
        if (this.serves(link, a) && call.phases.has(a)) {
          call.phases.delete(a);
          emit({ kind: "released", time: e.time, dn: a, callId: e.callId, cause: releaseCause(e.cause) });
        }
        return;
    }
  }

  /** A connection is connected: the answer of a ringing DN, and for the DNs still dialing, the far party's answer. */
  private connected(link: string, call: CallState, e: JtapiEvent, emit: Emit): void {
    const party = e.address;
    if (!party || !e.callId) return;
    call.established.add(party);
    if (this.serves(link, party) && call.phases.get(party) === "ringing") {
      call.phases.set(party, "established");
      emit({ kind: "established", time: e.time, dn: party, callId: e.callId, ...opt(call.calling), callType: this.callType(false, call.calling) });
    }
    // the caller's own connection is established right after dialing: the digits went out, nobody answered yet
    if (party === call.calling) return;
    for (const [dn, phase] of call.phases) {
      if (dn === party || phase !== "dialing" || !this.serves(link, dn)) continue;
      call.phases.set(dn, "established");
      // the answering party, which a route point or a redirect may have made another than the number dialed
      emit({ kind: "established", time: e.time, dn, callId: e.callId, otherDN: party, callType: this.callType(true, party) });
    }
  }

  /** A connection failed: the far party busy means busy for the DNs still dialing (until they hang up). */
  private failed(link: string, call: CallState, e: JtapiEvent, emit: Emit): void {
    const party = e.address;
    if (!party || !e.callId || party === call.calling) return; // the caller's own failure: its call stays until it hangs up
    // a served destination that fails after ringing has no call any more
    if (this.serves(link, party) && call.phases.has(party)) {
      call.phases.delete(party);
      emit({ kind: "released", time: e.time, dn: party, callId: e.callId, cause: e.cause === JtapiCause.BUSY ? "busy" : "failed" });
      return;
    }
    if (e.cause !== JtapiCause.BUSY) return;
    for (const [dn, phase] of call.phases) {
      if (dn === party || phase !== "dialing" || call.toldBusy.has(dn) || !this.serves(link, dn)) continue;
      call.toldBusy.add(dn);
      emit({ kind: "busy", time: e.time, dn, callId: e.callId, otherDN: party });
    }
  }

  /** In service only while both the address and its terminal are: one fact per change of that. */
  private serviceChanged(link: string, e: JtapiEvent, emit: Emit): void {
    const isAddress = e.id.startsWith("CiscoAddr");
    const inService = e.id.endsWith("InServiceEv");
    const dns = this.serves(link, e.address) ? [e.address] : isAddress || !e.terminal ? [] : [...(this.terminalDns.get(e.terminal) ?? [])].filter((dn) => this.serves(link, dn));
    for (const dn of dns) {
      const s = this.service.get(dn) ?? { address: true, terminal: true };
      const before = s.address && s.terminal;
      if (isAddress) s.address = inService;
      else s.terminal = inService;
      this.service.set(dn, s);
      const after = s.address && s.terminal;
      // why it went out of service, when the switch says (CiscoOutOfServiceEv.getCause())
      if (before !== after) emit({ kind: "service", time: e.time, dn, inService: after, ...(!after && e.oosCause !== undefined ? { oosCause: e.oosCause } : {}) });
    }
  }

  private callState(link: string, e: JtapiEvent): CallState {
    const key = `${link}|${e.callId}`;
    let call = this.calls.get(key);
    if (!call) {
      call = { calling: e.callingAddress ?? null, called: e.calledAddress ?? null, phases: new Map(), established: new Set(), members: new Set(), toldBusy: new Set() };
      this.calls.set(key, call);
    }
    // a manual call learns its called number when it is dialed
    if (e.callingAddress) call.calling = e.callingAddress;
    if (e.calledAddress) call.called = e.calledAddress;
    return call;
  }

  /** A link went down: the DNs it served are served by none until a snapshot (its own, or another link's) claims them. */
  releaseLink(link: string): string[] {
    const released = [...this.owner].filter(([, l]) => l === link).map(([dn]) => dn);
    for (const dn of released) this.owner.delete(dn);
    return released;
  }

  /** A link went down: its view of the calls is unknown until its next snapshot. */
  forgetLink(link: string): void {
    this.monitoring.forgetLink(link);
    for (const key of [...this.calls.keys()]) if (key.startsWith(`${link}|`)) this.calls.delete(key);
    this.merges.forgetLink(link);
    this.singleStep.forgetLink(link);
    this.redirects.forgetLink(link);
    this.added.forget(link);
  }
}

function opt(otherDN: string | null | undefined): { otherDN?: string } {
  return otherDN ? { otherDN } : {};
}
