// Calls that leave a route point or a ringing phone by redirect. A route point's call is routed by
// CallControlConnection.redirect(String) on its offered connection (docs/switch-link.md, "Route points"),
// so JTAPI reports no RouteUsedEvent: the agent knows where the call went because it asked for it (the
// CommandRunner tells the normalizer once the switch accepted the redirect; the answer precedes the
// events it caused). When the route select timer expires first, RouteEndEvent comes with
// RouteSession.CAUSE_ROUTING_TIMER_EXPIRED (101) and the switch's default treatment forwards the call:
// the first party that then appears in the call is where the switch routed it (GENEM: EventRouteUsed
// is also sent for the default route). A call cleared instead is an ordinary release at the route point.
import { RouteCause, type JtapiEvent } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";

export interface RedirectCall {
  phases: Map<string, unknown>;
  members: Set<string>;
}

type Emit = (event: SwitchEvent) => void;
const isDisconnect = (id: string) => id === "ConnDisconnectedEv" || id === "CallCtlConnDisconnectedEv";

export class Redirects {
  /** Key link|callId: the agent's accepted redirect of the call away from `from` to `to`. */
  private pending = new Map<string, { from: string; to: string }>();
  /** Key link|callId|dn: route points a call waits at (a RouteEvent was seen). */
  private waiting = new Set<string>();
  /** Key link|callId: the route select timer expired at `routePoint`; `left` once its connection dropped. */
  private defaults = new Map<string, { routePoint: string; left: boolean }>();

  accepted(link: string, callId: string, from: string, to: string): void {
    this.pending.set(`${link}|${callId}`, { from, to });
  }

  /** Before the normalizer's usual handling; returns true when it took the event. */
  before(link: string, e: JtapiEvent & { callId: string }, call: RedirectCall, serves: (dn: string) => boolean, emit: Emit): boolean {
    const key = `${link}|${e.callId}`;
    const a = e.address;
    if (!a) return false;
    if (e.id === "RouteEvent" && serves(a)) {
      this.waiting.add(`${key}|${a}`);
      return false; // the normalizer makes it a routeRequest
    }
    if (e.id === "RouteEndEvent") {
      if (e.cause === RouteCause.ROUTING_TIMER_EXPIRED && serves(a) && call.phases.has(a)) this.defaults.set(key, { routePoint: a, left: false });
      return true;
    }
    const p = this.pending.get(key);
    if (p && a === p.from && isDisconnect(e.id)) {
      this.pending.delete(key);
      call.members.delete(a);
      if (serves(a) && call.phases.has(a)) {
        if (this.waiting.delete(`${key}|${a}`)) emit({ kind: "routeUsed", time: e.time, dn: a, callId: e.callId, otherDN: p.to });
        else emit({ kind: "released", time: e.time, dn: a, callId: e.callId, cause: "redirected" });
      }
      call.phases.delete(a);
      return true;
    }
    const d = this.defaults.get(key);
    if (d && a === d.routePoint && isDisconnect(e.id)) {
      // the default treatment takes the call away: where to is known when its destination appears
      call.members.delete(a);
      d.left = true;
      return true;
    }
    if (d && d.left && e.id === "ConnCreatedEv" && a !== d.routePoint && !call.members.has(a)) {
      this.defaults.delete(key);
      this.waiting.delete(`${key}|${d.routePoint}`);
      if (call.phases.delete(d.routePoint)) emit({ kind: "routeUsed", time: e.time, dn: d.routePoint, callId: e.callId, otherDN: a });
    }
    return false;
  }

  callEnded(link: string, callId: string): void {
    const key = `${link}|${callId}`;
    this.pending.delete(key);
    this.defaults.delete(key);
    for (const w of [...this.waiting]) if (w.startsWith(`${key}|`)) this.waiting.delete(w);
  }

  forgetLink(link: string): void {
    for (const m of [this.pending, this.defaults]) for (const key of [...m.keys()]) if (key.startsWith(`${link}|`)) m.delete(key);
    for (const w of [...this.waiting]) if (w.startsWith(`${link}|`)) this.waiting.delete(w);
  }
}
