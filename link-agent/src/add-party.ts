// Single-step conference: CallControlCall.addParty(String) offers the call to one more party. JTAPI reports
// only the new party's connection; the agent knows it is an addition because it asked for it (the
// CommandRunner tells the normalizer once the switch accepted addParty). Once the new party is offered
// the call, the parties already in it hear of it (partyAdded, added by the requesting DN).
import type { JtapiEvent } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";

export interface AddPartyCall {
  phases: Map<string, unknown>;
  members: Set<string>;
}

type Emit = (event: SwitchEvent) => void;
const BEFORE_OFFER = new Set(["ConnCreatedEv", "ConnInProgressEv", "CallCtlConnOfferedEv"]);

export class AddedParties {
  /** Key link|callId. */
  private pending = new Map<string, { controller: string; joined?: string }>();

  accepted(link: string, callId: string, controller: string): void {
    this.pending.set(`${link}|${callId}`, { controller });
  }

  /** Marks the first new party of the call (the usual handling still takes the event). */
  before(link: string, e: JtapiEvent, call: AddPartyCall): void {
    const p = this.pending.get(`${link}|${e.callId}`);
    if (p && !p.joined && e.id === "ConnCreatedEv" && e.address && !call.members.has(e.address)) p.joined = e.address;
  }

  /** Once the new party is offered the call, the parties in it hear of it. */
  after(link: string, e: JtapiEvent, call: AddPartyCall, serves: (dn: string) => boolean, emit: Emit): void {
    const key = `${link}|${e.callId}`;
    const p = this.pending.get(key);
    if (!p || !p.joined || e.address !== p.joined || BEFORE_OFFER.has(e.id)) return;
    this.pending.delete(key);
    for (const dn of call.phases.keys()) {
      if (dn !== p.joined && serves(dn)) emit({ kind: "partyAdded", time: e.time, dn, callId: e.callId!, otherDN: p.joined, thirdPartyDN: p.controller });
    }
  }

  forget(link: string, callId?: string): void {
    for (const key of [...this.pending.keys()]) if (callId ? key === `${link}|${callId}` : key.startsWith(`${link}|`)) this.pending.delete(key);
  }
}
