// Single-step transfer as Cisco reports it: no CiscoTransferStartEv/EndEv bracket (JDG "Single Step
// Transfer": "CiscoTransferStartEv and CiscoTransferEndEv do not get delivered to applications"). The
// agent knows the transfer only because it issued CallControlCall.transfer(String) itself: the
// CommandRunner tells the normalizer once the switch accepted the request, and the switch answers before
// it sends the events the request caused (docs/switch-link.md), so the controller's disconnect and the
// destination's offer that follow on the same call are the transfer's, whatever their causes.
import type { JtapiEvent } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";

/** What the normalizer lends: its view of the call and whether it serves a DN. */
export interface SingleStepCall {
  phases: Map<string, unknown>;
  members: Set<string>;
}

interface Pending {
  controller: string;
  /** The controller's release was reported. */
  dropped: boolean;
  /** The party the call was offered to (the first new party: a dial plan may change the number dialed). */
  joined?: string;
  /** The parties that stay were told of the destination. */
  announced: boolean;
}

type Emit = (event: SwitchEvent) => void;

const isDisconnect = (id: string) => id === "ConnDisconnectedEv" || id === "CallCtlConnDisconnectedEv";
/** Events of the destination before it is offered the call: its offer is the first event after them. */
const BEFORE_OFFER = new Set(["ConnCreatedEv", "ConnInProgressEv", "CallCtlConnOfferedEv"]);

export class SingleStepTransfers {
  /** Key link|callId. */
  private pending = new Map<string, Pending>();

  /** The switch accepted `transfer(destination)` of `callId` by `controller` on `link`. */
  accepted(link: string, callId: string, controller: string): void {
    this.pending.set(`${link}|${callId}`, { controller, dropped: false, announced: false });
  }

  /**
   * Before the normalizer's usual handling: the controller's disconnect is its release as transferred,
   * and the destination's creation makes it the joined party. Returns true when it took the event.
   */
  before(link: string, e: JtapiEvent, call: SingleStepCall, serves: (dn: string) => boolean, emit: Emit): boolean {
    const p = this.pending.get(`${link}|${e.callId}`);
    const a = e.address;
    if (!p || !a) return false;
    if (a === p.controller && isDisconnect(e.id)) {
      call.members.delete(a);
      if (serves(a) && call.phases.has(a)) emit({ kind: "released", time: e.time, dn: a, callId: e.callId!, cause: "transferred" });
      call.phases.delete(a);
      p.dropped = true;
      this.settle(link, e.callId!, p);
      return true;
    }
    if (e.id === "ConnCreatedEv" && a !== p.controller && !p.joined && !p.announced && !call.members.has(a)) {
      p.joined = a;
      call.members.add(a);
      return true;
    }
    return false;
  }

  /** After the usual handling: once the destination is offered the call, the parties that stay hear of their new other party. */
  after(link: string, e: JtapiEvent, call: SingleStepCall, serves: (dn: string) => boolean, emit: Emit): void {
    const p = this.pending.get(`${link}|${e.callId}`);
    if (!p || p.announced || !p.joined || e.address !== p.joined || BEFORE_OFFER.has(e.id)) return;
    for (const dn of call.phases.keys()) {
      if (dn === p.controller || dn === p.joined || !serves(dn)) continue;
      emit({ kind: "partyChanged", time: e.time, dn, callId: e.callId!, otherDN: p.joined, thirdPartyDN: p.controller });
    }
    p.announced = true;
    this.settle(link, e.callId!, p);
  }

  private settle(link: string, callId: string, p: Pending): void {
    if (p.dropped && p.announced) this.pending.delete(`${link}|${callId}`);
  }

  /** The call is gone, or the link's view of its calls is. */
  callEnded(link: string, callId: string): void {
    this.pending.delete(`${link}|${callId}`);
  }

  forgetLink(link: string): void {
    for (const key of [...this.pending.keys()]) if (key.startsWith(`${link}|`)) this.pending.delete(key);
  }
}
