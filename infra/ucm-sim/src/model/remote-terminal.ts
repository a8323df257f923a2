// Extend and connect: CTI remote devices (CiscoRemoteTerminal) and their remote destinations, as
// jtapi-fidelity.md B.2 (1) specifies them from Cisco's sources (JDG p.923 and p.1345, TDG chunks 61 and 640,
// the JTAPI 15 jar). The mobile behind a remote destination is not a JTAPI connection: it is the person who
// answers (POST /clusters/<c>/remote-destinations/<number>/answer), and the remote terminal's own connection
// and terminal connection report it.
import type { RemoteDestinationInfo } from "../../../../shared/switch-link.js";
import type { Device } from "./cluster.js";
import type { ClusterInternals } from "./monitoring.js";
import { type Call, type Connection, SwitchFault } from "./types.js";

export interface RemoteInternals extends ClusterInternals {
  dial(callId: string, from: string, to: string): void;
  answerAtRemoteDestination(callId: string, dn: string): void;
  disconnect(callId: string, dn: string): void;
}

/** A change of a remote terminal's destinations, for every provider that controls it (CiscoProvTerminalRemoteDestinationChangedEv). */
export interface RemoteDestinationChange {
  dn: string;
  terminal: string;
  remoteDestinations: RemoteDestinationInfo[];
  /** The provider (switch-link connection) that set the active destination last; null: none now. */
  lastSetBy: string | null;
  /** A provider not to tell (the one that gets the state back silently, JDG p.923). */
  except?: string;
}

interface State {
  destinations: Array<{ number: string; name: string }>;
  active: string | null;
  lastSetBy: string | null;
  /** What the provider that set it gets back if it returns in time (user and instance, JDG p.923). */
  restore?: { identity: string; number: string; until: number };
  /** A call placed through CTI that waits for the mobile to answer first. */
  outgoing?: { callId: string; to: string; timer?: NodeJS.Timeout };
}

/** The numbers and names CiscoRemoteTerminal accepts ([I] the limits: Cisco does not publish them). */
const NUMBER = /^\+?[0-9]{1,24}$/;
const MAX_NAME = 50;

export class RemoteTerminals {
  private states = new Map<string, State>();
  private providers = new Map<string, string>();
  private listeners = new Set<(change: RemoteDestinationChange) => void>();

  constructor(private readonly c: RemoteInternals, private readonly providerRetryIntervalMs: number) {
    for (const d of c.devices.values()) {
      if (d.config.kind === "remoteTerminal") this.states.set(d.config.dn, { destinations: d.config.remoteDestinations.map((r) => ({ ...r })), active: null, lastSetBy: null });
    }
  }

  onChange(listener: (change: RemoteDestinationChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private device(dn: string): { dev: Device; state: State } {
    const dev = this.c.devices.get(dn);
    if (!dev) throw new SwitchFault("InvalidArgumentException", `no device with DN ${dn}`, 404);
    const state = this.states.get(dn);
    if (dev.config.kind !== "remoteTerminal" || !state) throw new SwitchFault("InvalidArgumentException", `DN ${dn} is not a CTI remote device (CiscoRemoteTerminal)`);
    return { dev, state };
  }

  private infos(state: State): RemoteDestinationInfo[] {
    return state.destinations.map((d) => ({ number: d.number, name: d.name, active: d.number === state.active }));
  }

  private announce(dn: string, state: State, except?: string): void {
    const dev = this.c.devices.get(dn)!;
    dev.activeRemoteDestination = state.active;
    const change = { dn, terminal: dev.terminal, remoteDestinations: this.infos(state), lastSetBy: state.lastSetBy, ...(except ? { except } : {}) };
    for (const l of this.listeners) l(change);
  }

  /**
   * The setRemoteDestination op (jtapi-fidelity B.2 (2)): addRemoteDestination for a new number,
   * updateRemoteDestination when the name differs, else setActiveRemoteDestination. Every provider that
   * controls the device hears the change, each with its own isMyAppLastToSetActiveRD (JDG p.923).
   */
  set(provider: string, dn: string, number: string, name: string | undefined, active: boolean): { remoteDestinations: RemoteDestinationInfo[]; myAppLastToSetActiveRD: boolean } {
    const { dev, state } = this.device(dn);
    if (!dev.inService) throw new SwitchFault("InvalidStateException", `remote terminal ${dn} is out of service`);
    if (!NUMBER.test(number)) throw new SwitchFault("InvalidArgumentException", `"${number}" is not a remote destination number`, 409, "CTIERR_INVALID_REMOTE_DESTINATION_NUMBER");
    if (name !== undefined && (name.length === 0 || name.length > MAX_NAME)) throw new SwitchFault("InvalidArgumentException", `a remote destination name has 1 to ${MAX_NAME} characters`, 409, "CTIERR_INVALID_REMOTE_DESTINATION_NAME");
    let known = state.destinations.find((d) => d.number === number);
    if (active) {
      if (!known) {
        if (state.destinations.length >= dev.config.maxRemoteDestinations) {
          throw new SwitchFault("InvalidStateException", `remote terminal ${dn} already has ${dev.config.maxRemoteDestinations} remote destinations`, 409, "CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED");
        }
        known = { number, name: name ?? number };
        state.destinations.push(known);
      } else if (name !== undefined) known.name = name;
      state.active = number;
      state.lastSetBy = provider;
      state.restore = undefined;
      this.announce(dn, state);
    } else {
      if (!known) throw new SwitchFault("InvalidArgumentException", `${number} is not a remote destination of ${dn}`, 409, "CTIERR_INVALID_REMOTE_DESTINATION_NUMBER");
      // deactivating what is not active changes nothing (and tells nobody)
      if (state.active === number) {
        state.active = null;
        state.lastSetBy = provider;
        state.restore = undefined;
        this.announce(dn, state);
      }
    }
    return { remoteDestinations: this.infos(state), myAppLastToSetActiveRD: state.lastSetBy === provider };
  }

  /** What a provider's snapshot shows of a remote terminal (getAllRemoteDestinations, isMyAppLastToSetActiveRD). */
  snapshotFields(dn: string, provider: string | undefined): { remoteDestinations: RemoteDestinationInfo[]; myAppLastToSetActiveRD: boolean } | Record<string, never> {
    const state = this.states.get(dn);
    if (!state) return {};
    return { remoteDestinations: this.infos(state), myAppLastToSetActiveRD: provider !== undefined && state.lastSetBy === provider };
  }

  /** A provider opened (a switch-link connection said hello): `identity` is its application user and instance. */
  providerOpened(provider: string, identity: string): void {
    this.providers.set(provider, identity);
    const now = Date.now();
    for (const [dn, state] of this.states) {
      const r = state.restore;
      if (!r || r.identity !== identity) continue;
      state.restore = undefined;
      if (now > r.until || state.active !== null) continue;
      // JDG p.923: after a CTIManager restart "JTAPI will automatically reset the same RD1 as active again
      // seamlessly": the returning provider is not told; the others see the destination come back
      state.active = r.number;
      state.lastSetBy = provider;
      this.announce(dn, state, provider);
    }
  }

  /**
   * A provider closed. The active destination it set is cleared and the others hear it (JDG p.923: "this active
   * RD will be clear out automatically from CTI/CCM side"); it may come back for it within the retry interval.
   */
  providerClosed(provider: string): void {
    const identity = this.providers.get(provider);
    this.providers.delete(provider);
    for (const [dn, state] of this.states) {
      if (state.lastSetBy !== provider) continue;
      state.lastSetBy = null;
      const dev = this.c.devices.get(dn)!;
      if (state.active === null || !dev.config.clearActiveOnProviderClose) continue;
      if (identity) state.restore = { identity, number: state.active, until: Date.now() + this.providerRetryIntervalMs };
      state.active = null;
      this.announce(dn, state);
    }
  }

  /**
   * A call placed through CTI from a remote terminal (jtapi-fidelity B.2 (1) 6, [I] events): without an active
   * destination PlatformException CTIERR_REMOTE_DEVICE_REQUEST_FAILED_ACTIVE_RD_NOT_SET; otherwise the mobile
   * rings first and the number is dialed once it answers.
   */
  originate(from: string, to: string | null): Call {
    const { dev, state } = this.device(from);
    if (!state.active) throw new SwitchFault("PlatformException", `remote terminal ${from} has no active remote destination`, 409, "CTIERR_REMOTE_DEVICE_REQUEST_FAILED_ACTIVE_RD_NOT_SET");
    if (to === null) throw new SwitchFault("InvalidArgumentException", "a remote terminal places calls to a number");
    if (state.outgoing) throw new SwitchFault("InvalidStateException", `remote terminal ${from} already waits for its mobile to answer a call`);
    const call = this.c.newCall(from, to);
    // the terminal connection exists, but talks only once the mobile answers
    const conn: Connection = { address: from, local: true, state: "INITIATED", termState: "RINGING" };
    call.connections.push(conn);
    const t = dev.terminal;
    this.c.publish([
      this.c.stamp(call, { id: "CallActiveEv", callId: call.id }),
      this.c.stamp(call, { id: "ConnCreatedEv", callId: call.id, address: from }),
      this.c.stamp(call, { id: "ConnConnectedEv", callId: call.id, address: from }),
      this.c.stamp(call, { id: "CallCtlConnInitiatedEv", callId: call.id, address: from }),
      this.c.stamp(call, { id: "TermConnCreatedEv", callId: call.id, address: from, terminal: t }),
    ], [from]);
    state.outgoing = { callId: call.id, to };
    if (dev.config.remoteAutoAnswerMs > 0) {
      state.outgoing.timer = setTimeout(() => this.outgoingAnswered(from, state), dev.config.remoteAutoAnswerMs);
      state.outgoing.timer.unref?.();
    }
    return call;
  }

  private outgoingAnswered(dn: string, state: State): Call | null {
    const out = state.outgoing;
    state.outgoing = undefined;
    if (!out) return null;
    clearTimeout(out.timer);
    const call = this.c.calls.get(out.callId);
    const conn = call?.connections.find((x) => x.address === dn && x.local && x.state === "INITIATED");
    if (!call || !conn) return null;
    conn.termState = "TALKING";
    const t = this.c.devices.get(dn)!.terminal;
    this.c.publish([
      this.c.stamp(call, { id: "TermConnActiveEv", callId: call.id, address: dn, terminal: t }),
      this.c.stamp(call, { id: "CallCtlTermConnTalkingEv", callId: call.id, address: dn, terminal: t }),
    ], this.c.localAddresses(call));
    this.c.dial(call.id, dn, out.to);
    return call;
  }

  /** The remote terminals whose calls reach this number: it is their active destination, or any of theirs when routed to all (TDG 61). */
  private extendedTo(number: string): string[] {
    return [...this.states]
      .filter(([dn, s]) => s.active === number || (s.active === null && this.c.devices.get(dn)!.config.routeToAllWhenNotConnected && s.destinations.some((d) => d.number === number)))
      .map(([dn]) => dn);
  }

  knows(number: string): boolean {
    return [...this.states.values()].some((s) => s.destinations.some((d) => d.number === number));
  }

  /**
   * The person at the mobile answers: a CTI call waiting for it goes out, or a call ringing at the remote
   * terminal is answered there (JDG p.1345). Null when no remote terminal has a call for this number.
   */
  mobileAnswer(number: string): Call | null {
    for (const dn of this.extendedTo(number)) {
      const state = this.states.get(dn)!;
      if (state.outgoing) return this.outgoingAnswered(dn, state);
      const ringing = [...this.c.calls.values()].find((call) => call.connections.some((x) => x.address === dn && x.local && x.state === "ALERTING"));
      if (ringing) {
        this.c.answerAtRemoteDestination(ringing.id, dn);
        return ringing;
      }
    }
    return null;
  }

  /** The person at the mobile hangs up: the remote terminal's connection disconnects (cause 100). */
  mobileHangup(number: string): Call | null {
    for (const dn of this.extendedTo(number)) {
      const state = this.states.get(dn)!;
      const call = [...this.c.calls.values()].find((x) => x.connections.some((conn) => conn.address === dn && conn.local && conn.state !== "DISCONNECTED" && conn.state !== "ALERTING"));
      if (!call) continue;
      if (state.outgoing?.callId === call.id) {
        clearTimeout(state.outgoing.timer);
        state.outgoing = undefined;
      }
      this.c.disconnect(call.id, dn);
      return call;
    }
    return null;
  }

  /** A call left the cluster: a CTI call still waiting for its mobile stops waiting. */
  cleared(call: Call): void {
    for (const state of this.states.values()) {
      if (state.outgoing?.callId !== call.id) continue;
      clearTimeout(state.outgoing.timer);
      state.outgoing = undefined;
    }
  }

  stop(): void {
    for (const state of this.states.values()) clearTimeout(state.outgoing?.timer);
  }
}
