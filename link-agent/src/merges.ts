// Consult transfer and conference: the consult call's party moves into the final call, the controller
// leaves (transfer) or stays (conference). JTAPI reports a move as a drop from one call and a creation
// in the other, inside CiscoTransferStartEv/EndEv or CiscoConferenceStartEv/EndEv. Cisco's order (JDG
// Table 8) has the party appear in the final call BEFORE the consult call is cleared, and JDG p.130 warns
// "Applications should not rely on the order of events between CiscoTransferStartEv and
// CiscoTransferEndEv or between CiscoConferenceStartEv and CiscoConferenceEndEv", so nothing here depends on one: the bracket (or the agent's own
// accepted transfer/conference request) opens the context, a party's first appearance in the final call
// is its move whether or not its drop from the consult call came yet, and the End event settles what is
// left. Causes are not needed (JTAPI only has 212/207 on call-control events); a meta code other than
// the feature's marks a drop that is no part of the move (someone hung up meanwhile).
import { JtapiMeta, type JtapiEvent, type SwitchOp } from "../../shared/switch-link.js";
import type { CallPhase, SwitchEvent } from "../../shared/uplink.js";

/** The normalizer's view of one call, as far as a move needs it. */
export interface MergeCall {
  phases: Map<string, CallPhase>;
  members: Set<string>;
}

interface Merge {
  kind: "transfer" | "conference";
  controller: string;
  finalCallId: string;
  consultCallId?: string;
  /** A bracket was seen: the End event closes the context (else the consult call's end does). */
  bracketed: boolean;
  /** Parties that appeared in the final call inside the context, in order. */
  joined: string[];
  /** Served parties that left the consult call before they appeared in the final call: their phase there. */
  moving: Map<string, CallPhase>;
}

type Emit = (event: SwitchEvent) => void;
export interface MergeHost {
  serves(dn: string): boolean;
  /** The link's view of a call, if it has one. */
  call(callId: string): MergeCall | undefined;
  /** The link's view of a call is over. */
  forget(callId: string): void;
}

const isDisconnect = (id: string) => id === "ConnDisconnectedEv" || id === "CallCtlConnDisconnectedEv";

export class Merges {
  /** Key link|final call id. */
  private merges = new Map<string, Merge>();

  /** The switch accepted the agent's transfer(Call) or conference(Call): the context opens even if no bracket comes. */
  accepted(link: string, op: SwitchOp): void {
    if (op.op !== "transfer" && op.op !== "conference") return;
    const key = `${link}|${op.callId}`;
    if (this.merges.has(key)) return;
    this.merges.set(key, { kind: op.op, controller: op.address, finalCallId: op.callId, consultCallId: op.consultCallId, bracketed: false, joined: [], moving: new Map() });
  }

  private find(link: string, callId: string): { m: Merge; consult: boolean } | undefined {
    const m = this.merges.get(`${link}|${callId}`);
    if (m) return { m, consult: false };
    for (const [key, x] of this.merges) if (key.startsWith(`${link}|`) && x.consultCallId === callId) return { m: x, consult: true };
    return undefined;
  }

  /** Takes the event when it belongs to a move; returns true then. */
  apply(link: string, e: JtapiEvent, host: MergeHost, emit: Emit): boolean {
    const a = e.address;
    if ((e.id === "CiscoTransferStartEv" || e.id === "CiscoConferenceStartEv") && a && e.callId) {
      const kind = e.id === "CiscoTransferStartEv" ? "transfer" : "conference";
      const key = `${link}|${e.callId}`;
      const known = this.merges.get(key);
      this.merges.set(key, { kind, controller: a, finalCallId: e.callId, consultCallId: e.transferredCallId ?? known?.consultCallId, bracketed: true, joined: known?.joined ?? [], moving: known?.moving ?? new Map() });
      return true;
    }
    if (!e.callId) return false;
    const found = this.find(link, e.callId);
    if (!found) return false;
    const { m, consult } = found;
    if (e.id === "CiscoTransferEndEv" || e.id === "CiscoConferenceEndEv") {
      if (!consult) this.settle(link, m, e, host, emit);
      return true;
    }
    const call = host.call(e.callId);
    if (!call) return false;
    const meta = m.kind === "transfer" ? JtapiMeta.CALL_TRANSFERRING : JtapiMeta.CALL_MERGING;
    if (e.id === "CallInvalidEv") {
      if (!consult) return false;
      // the consult call is over: whoever is still in it and did not move is released
      this.settleConsult(m, e, host, emit);
      host.forget(e.callId);
      if (!m.bracketed) this.settle(link, m, e, host, emit);
      return true;
    }
    if (!a) return false;
    if (isDisconnect(e.id)) {
      if (e.metaCode !== undefined && e.metaCode !== meta) return false;
      call.members.delete(a);
      if (a === m.controller) {
        if (host.serves(a) && call.phases.has(a)) emit({ kind: "released", time: e.time, dn: a, callId: e.callId, cause: m.kind === "transfer" ? "transferred" : "conferenced" });
        call.phases.delete(a);
        return true;
      }
      if (!consult) return false; // a party of the final call hung up meanwhile
      const phase = call.phases.get(a);
      call.phases.delete(a);
      // not gone: on its way to the final call (unless it got there already)
      if (phase && !m.joined.includes(a)) m.moving.set(a, phase);
      return true;
    }
    if (consult) return false;
    if (!call.members.has(a) && !m.joined.includes(a)) {
      // a party's first appearance in the final call is its move
      m.joined.push(a);
      call.members.add(a);
      const consultCall = m.consultCallId ? host.call(m.consultCallId) : undefined;
      const phase = consultCall?.phases.get(a) ?? m.moving.get(a);
      consultCall?.phases.delete(a);
      m.moving.delete(a);
      if (host.serves(a) && phase) this.moved(m, a, phase, call, e.time, e.callId, emit);
      return true;
    }
    // the joined party's own connection and terminal events are summed up by its move
    return m.joined.includes(a);
  }

  private moved(m: Merge, a: string, phase: CallPhase, final: MergeCall, time: string, callId: string, emit: Emit): void {
    final.phases.set(a, phase);
    // after a transfer its other party is whoever stays; in a conference, the one who brought it in
    const other = m.kind === "conference" ? m.controller : [...final.members].find((x) => x !== a && x !== m.controller);
    emit({ kind: "partyChanged", time, dn: a, callId, ...(m.consultCallId ? { previousCallId: m.consultCallId } : {}), ...(other ? { otherDN: other } : {}), thirdPartyDN: m.controller, ...(m.kind === "conference" ? { conferenced: true } : {}) });
  }

  private settleConsult(m: Merge, e: JtapiEvent, host: MergeHost, emit: Emit): void {
    const consult = m.consultCallId ? host.call(m.consultCallId) : undefined;
    if (!consult || !m.consultCallId) return;
    for (const [dn, phase] of [...consult.phases]) {
      consult.phases.delete(dn);
      if (!host.serves(dn)) continue;
      if (dn === m.controller) emit({ kind: "released", time: e.time, dn, callId: m.consultCallId, cause: m.kind === "transfer" ? "transferred" : "conferenced" });
      else if (m.joined.includes(dn)) continue;
      // a served party of the consult call that the switch did not show leaving: it moves with the bracket's word
      else m.moving.set(dn, phase);
    }
  }

  /** The bracket's end: settle the consult call's leftovers, then the parties that stay hear of the change. */
  private settle(link: string, m: Merge, e: JtapiEvent, host: MergeHost, emit: Emit): void {
    this.merges.delete(`${link}|${m.finalCallId}`);
    this.settleConsult(m, e, host, emit);
    const final = host.call(m.finalCallId);
    if (!final) return;
    // JDG: after CiscoTransferEndEv "all Connections and TerminalConnections moved to the final call"
    for (const [dn, phase] of m.moving) {
      m.joined.push(dn);
      final.members.add(dn);
      this.moved(m, dn, phase, final, e.time, m.finalCallId, emit);
    }
    m.moving.clear();
    if (m.kind === "transfer" && final.phases.has(m.controller)) {
      final.phases.delete(m.controller);
      final.members.delete(m.controller);
      if (host.serves(m.controller)) emit({ kind: "released", time: e.time, dn: m.controller, callId: m.finalCallId, cause: "transferred" });
    }
    const joined = m.joined;
    for (const dn of final.phases.keys()) {
      if (!host.serves(dn)) continue;
      if (m.kind === "transfer") {
        if (!joined.includes(dn) && joined[0]) emit({ kind: "partyChanged", time: e.time, dn, callId: m.finalCallId, otherDN: joined[0], thirdPartyDN: m.controller });
        continue;
      }
      // a conference adds the new party to everyone, controller included; the new party hears of the others
      const added = joined.includes(dn) ? [...final.members].filter((x) => x !== dn && x !== m.controller && !joined.includes(x)) : joined;
      for (const other of added) emit({ kind: "partyAdded", time: e.time, dn, callId: m.finalCallId, otherDN: other, thirdPartyDN: m.controller });
    }
  }

  forgetLink(link: string): void {
    for (const key of [...this.merges.keys()]) if (key.startsWith(`${link}|`)) this.merges.delete(key);
  }
}
