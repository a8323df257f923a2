// One simulated UCM cluster: its devices (addresses + terminals) and calls, JTAPI's model in small.
// Every change is announced as a batch of JTAPI events, in the order a JTAPI observer receives them.
import { AddressType, JtapiCause, JtapiMeta, OutOfServiceCause, RouteCause, type JtapiEvent, type Snapshot } from "../../../../shared/switch-link.js";
import { type ClusterConfig, type DeviceConfig, deviceName } from "../config.js";
import { type Call, type Connection, type PendingEvent, SwitchFault } from "./types.js";
import { Monitoring } from "./monitoring.js";
import { RemoteTerminals } from "./remote-terminal.js";

export interface Device {
  config: DeviceConfig;
  terminal: string;
  inService: boolean;
  /** Remote terminals: the remote destination calls are extended to (null: not extended). */
  activeRemoteDestination: string | null;
}

export type BatchListener = (batch: JtapiEvent[], concerns: { addresses: Set<string> }) => void;

/** What a cluster needs of the rest of the network to place calls beyond itself. */
export interface Network {
  /** Offers a call from `from` to `to` on the cluster that owns `to`; returns the far call id, or a busy/unknown verdict. */
  offerOverTrunk(fromCluster: string, nearCallId: string, from: string, to: string): { callId: string } | "busy" | "unknown";
  /** Would an offer of a call to `to` over the trunk fail busy now? (Asked before a blind transfer changes anything.) */
  busyOverTrunk(fromCluster: string, to: string): boolean;
  /** The PSTN (mobile phones of remote destinations): is this a number it has? */
  isPstnNumber(number: string): boolean;
  /** Tells the far half of a trunk call what happened to this half. */
  peerAnswered(peer: { cluster: string; callId: string }): void;
  peerCleared(peer: { cluster: string; callId: string }): void;
  /** The near half of a trunk call moved to another call (a transfer merged it). */
  repointPeer(farPeer: { cluster: string; callId: string }, nearCluster: string, nearCallId: string): void;
  ownerOf(number: string): string | null;
}

let sequence = 0;
/** Call ids unique across clusters and across simulator runs (Cisco's are unique per cluster lifetime). */
function newCallId(cluster: string): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${cluster}-${Date.now().toString(36)}-${sequence}`;
}

export class Cluster {
  readonly name: string;
  readonly devices = new Map<string, Device>();
  readonly calls = new Map<string, Call>();
  private listeners = new Set<BatchListener>();
  /** Calls waiting at a route point for a route select, with the timer of their default treatment. */
  private routeWaits = new Map<string, { routePoint: string; timer: NodeJS.Timeout }>();
  /** Silent monitoring (model/monitoring.ts) and remote terminals (model/remote-terminal.ts). */
  readonly monitoring: Monitoring;
  readonly remote: RemoteTerminals;

  constructor(readonly config: ClusterConfig, private readonly network: Network) {
    this.name = config.name;
    for (const d of config.devices) {
      this.devices.set(d.dn, { config: d, terminal: deviceName(d), inService: d.inService, activeRemoteDestination: null });
    }
    const internals = {
      devices: this.devices,
      calls: this.calls,
      newCall: (callingAddress: string | null, calledAddress: string | null): Call => {
        const call: Call = { id: newCallId(this.name), connections: [], callingAddress, calledAddress };
        this.calls.set(call.id, call);
        return call;
      },
      publish: (events: PendingEvent[], addresses: Iterable<string>) => this.publish(events, addresses),
      stamp: (call: Call, e: PendingEvent) => this.stamp(call, e),
      clear: (call: Call, cause: number, first: string | null) => this.clear(call, cause, first),
      localAddresses: (call: Call) => this.localAddresses(call),
      dial: (callId: string, from: string, to: string) => this.dial(callId, from, to),
      answerAtRemoteDestination: (callId: string, dn: string) => this.answer(callId, dn, "remoteDestination"),
      disconnect: (callId: string, dn: string) => this.disconnect(callId, dn),
    };
    this.monitoring = new Monitoring(internals);
    this.remote = new RemoteTerminals(internals, config.providerRetryIntervalMs);
  }

  /** Stops the cluster's timers (monitor media timers, mobiles that answer by themselves). */
  stopTimers(): void {
    this.monitoring.stop();
    this.remote.stop();
  }

  onBatch(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(events: PendingEvent[], addresses: Iterable<string>): void {
    if (events.length === 0) return;
    const time = new Date().toISOString();
    const batch = events.map((e) => ({ cause: JtapiCause.NORMAL, ...this.addressTypeOf(e), ...e, time }) as JtapiEvent);
    const concerns = { addresses: new Set(addresses) };
    for (const listener of this.listeners) listener(batch, concerns);
    this.monitoring.afterPublish();
  }

  /** CiscoAddress.getType() on every Conn* and CallCtlConn* event: a device of this cluster or not (5 is set where it applies). */
  private addressTypeOf(e: PendingEvent): { addressType?: number } {
    if (!e.address || !(e.id.startsWith("Conn") || e.id.startsWith("CallCtlConn"))) return {};
    return { addressType: this.devices.has(e.address) ? AddressType.INTERNAL : AddressType.EXTERNAL };
  }

  private localAddresses(call: Call): string[] {
    return call.connections.filter((c) => c.local).map((c) => c.address);
  }

  device(dn: string): Device {
    const d = this.devices.get(dn);
    if (!d) throw new SwitchFault("InvalidArgumentException", `no device with DN ${dn} on cluster ${this.name}`, 404);
    return d;
  }

  callsOf(dn: string): Call[] {
    return [...this.calls.values()].filter((c) => c.connections.some((x) => x.local && x.address === dn && x.state !== "DISCONNECTED"));
  }

  private connectionOf(call: Call, dn: string): Connection {
    const conn = call.connections.find((c) => c.address === dn && c.state !== "DISCONNECTED");
    if (!conn) throw new SwitchFault("InvalidStateException", `DN ${dn} is not a party of call ${call.id}`);
    return conn;
  }

  call(callId: string): Call {
    const call = this.calls.get(callId);
    if (!call) throw new SwitchFault("InvalidStateException", `no call ${callId} on cluster ${this.name}`);
    return call;
  }

  // ---- origination ----

  /**
   * A call placed by CTI (Call.connect) or by hand (off-hook, then dial). Source: JDG Agent Greeting MSC
   * (CallActiveEv, the caller's ConnCreated/Connected, CallCtlConnInitiatedEv, its terminal connection talking).
   */
  originate(from: string, to: string | null, how: "cti" | "manual"): Call {
    const dev = this.device(from);
    if (!dev.inService) throw new SwitchFault("ResourceUnavailableException", `DN ${from} is out of service`);
    if (dev.config.kind === "routePoint") throw new SwitchFault("InvalidArgumentException", `DN ${from} is a route point: it cannot originate calls`);
    if (dev.config.kind === "remoteTerminal" && how === "manual") throw new SwitchFault("InvalidStateException", `DN ${from} is a remote terminal: calls from it are placed through CTI only`);
    if (this.callsOf(from).length >= dev.config.maxCalls) throw new SwitchFault("ResourceUnavailableException", `DN ${from} already has ${dev.config.maxCalls} calls`);
    if (to !== null && how === "cti" && this.classify(to) === "unknown") throw new SwitchFault("InvalidPartyException", `${to} is an unallocated number`);
    if (dev.config.kind === "remoteTerminal") return this.remote.originate(from, to);
    const call: Call = { id: newCallId(this.name), connections: [], callingAddress: from, calledAddress: to };
    this.calls.set(call.id, call);
    const conn: Connection = { address: from, local: true, state: "INITIATED", termState: "TALKING" };
    call.connections.push(conn);
    const t = dev.terminal;
    const events: PendingEvent[] = [
      { id: "CallActiveEv", callId: call.id, callingAddress: from, calledAddress: to },
      { id: "ConnCreatedEv", callId: call.id, address: from },
      { id: "ConnConnectedEv", callId: call.id, address: from },
      { id: "CallCtlConnInitiatedEv", callId: call.id, address: from },
      { id: "TermConnCreatedEv", callId: call.id, address: from, terminal: t },
      { id: "TermConnActiveEv", callId: call.id, address: from, terminal: t },
      { id: "CallCtlTermConnTalkingEv", callId: call.id, address: from, terminal: t },
    ];
    this.publish(events.map((e) => this.stamp(call, e)), [from]);
    if (to !== null) this.dial(call.id, from, to);
    return call;
  }

  private classify(number: string): "local" | "trunk" | "pstn" | "unknown" {
    if (this.devices.has(number)) return "local";
    const owner = this.network.ownerOf(number);
    if (owner && owner !== this.name) return "trunk";
    if (this.network.isPstnNumber(number)) return "pstn";
    return "unknown";
  }

  /** The digits are dialed: CallCtlConnDialingEv then CallCtlConnEstablishedEv for the caller (JDG Agent Greeting MSC), then the offer. */
  dial(callId: string, from: string, to: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, from);
    if (conn.state !== "INITIATED") throw new SwitchFault("InvalidStateException", `DN ${from} has already dialed on call ${callId}`);
    call.calledAddress = to;
    const kind = this.classify(to);
    if (kind === "unknown") {
      conn.state = "FAILED";
      this.publish([
        this.stamp(call, { id: "CallCtlConnDialingEv", callId, address: from }),
        this.stamp(call, { id: "ConnFailedEv", callId, address: from, cause: JtapiCause.DEST_NOT_OBTAINABLE }),
        this.stamp(call, { id: "CallCtlConnFailedEv", callId, address: from, cause: JtapiCause.DEST_NOT_OBTAINABLE }),
      ], [from]);
      return;
    }
    conn.state = "ESTABLISHED";
    this.publish([
      this.stamp(call, { id: "CallCtlConnDialingEv", callId, address: from }),
      this.stamp(call, { id: "CallCtlConnEstablishedEv", callId, address: from }),
    ], [from]);
    if (kind === "local") this.offerLocal(call, to);
    else if (kind === "trunk") this.offerTrunk(call, from, to);
    else this.offerPstn(call, to);
  }

  /**
   * Offers the call to a local device: ConnCreated/InProgress/CallCtlConnOffered, Alerting, the terminal
   * connection ringing (JDG Agent Greeting MSC); or ConnFailedEv/CallCtlConnFailedEv cause 203 BUSY (JDG
   * CallCtlConnFailedEv; TDG chunk 61 for an unextended remote terminal).
   */
  private offerLocal(call: Call, to: string): void {
    const dev = this.device(to);
    const destination: Connection = { address: to, local: true, state: "IDLE" };
    call.connections.push(destination);
    const busy = this.lineBusy(dev, call);
    const created = this.stamp(call, { id: "ConnCreatedEv", callId: call.id, address: to });
    if (dev.config.kind === "routePoint" && dev.inService) return this.offerToRoutePoint(call, destination, dev, created);
    if (busy) {
      destination.state = "FAILED";
      this.publish([
        created,
        this.stamp(call, { id: "ConnFailedEv", callId: call.id, address: to, cause: JtapiCause.BUSY }),
        this.stamp(call, { id: "CallCtlConnFailedEv", callId: call.id, address: to, cause: JtapiCause.BUSY }),
      ], [to, ...this.localAddresses(call)]);
      return;
    }
    destination.state = "ALERTING";
    destination.termState = "RINGING";
    const t = dev.terminal;
    this.publish([
      created,
      this.stamp(call, { id: "ConnInProgressEv", callId: call.id, address: to }),
      this.stamp(call, { id: "CallCtlConnOfferedEv", callId: call.id, address: to }),
      this.stamp(call, { id: "ConnAlertingEv", callId: call.id, address: to }),
      this.stamp(call, { id: "CallCtlConnAlertingEv", callId: call.id, address: to }),
      this.stamp(call, { id: "TermConnCreatedEv", callId: call.id, address: to, terminal: t }),
      this.stamp(call, { id: "TermConnRingingEv", callId: call.id, address: to, terminal: t }),
      this.stamp(call, { id: "CallCtlTermConnRingingEv", callId: call.id, address: to, terminal: t }),
    ], this.localAddresses(call));
    if (dev.config.kind === "ctiPort" && dev.config.autoAnswer) this.answer(call.id, to);
  }

  /**
   * A CTI route point holds the call (OFFERED) and asks the application where it goes: JTAPI's RouteEvent,
   * delivered to the route callback the application registered (RouteAddress.registerRouteCallback,
   * after CiscoRouteTerminal.register). If the application does not route it within the route select
   * timer (jtapi.ini RouteSelectTimeout=5000), the route session ends with RouteEndEvent cause
   * CAUSE_ROUTING_TIMER_EXPIRED (101) and the call gets the route point's CFNA-like default treatment
   * (JDG p.218 "Cisco Route Session Implementation").
   */
  private offerToRoutePoint(call: Call, rp: Connection, dev: Device, created: PendingEvent): void {
    rp.state = "OFFERED";
    this.publish([
      created,
      this.stamp(call, { id: "ConnInProgressEv", callId: call.id, address: rp.address }),
      this.stamp(call, { id: "CallCtlConnOfferedEv", callId: call.id, address: rp.address }),
      this.stamp(call, { id: "RouteEvent", callId: call.id, address: rp.address }),
    ], this.localAddresses(call));
    const timer = setTimeout(() => this.routeTimedOut(call.id), dev.config.routeSelectTimeoutMs);
    timer.unref?.();
    this.routeWaits.set(call.id, { routePoint: rp.address, timer });
  }

  /**
   * The route select timer expired: RouteEndEvent cause CAUSE_ROUTING_TIMER_EXPIRED (101, JAR
   * RouteSession), then the CFNA-like default treatment: the route point's connection drops (cause
   * REDIRECTED) and the default destination is offered the call, or with none the call is cleared
   * (JDG p.218 "Cisco Route Session Implementation"; jtapi-fidelity A4).
   */
  private routeTimedOut(callId: string): void {
    const wait = this.routeWaits.get(callId);
    const call = this.calls.get(callId);
    if (!wait || !call) return;
    this.routeWaits.delete(callId);
    clearTimeout(wait.timer);
    const routeEnd = this.stamp(call, { id: "RouteEndEvent", callId, address: wait.routePoint, cause: RouteCause.ROUTING_TIMER_EXPIRED });
    const fallback = this.device(wait.routePoint).config.defaultDestination;
    if (fallback && this.classify(fallback) !== "unknown") {
      // the default treatment forwards the call: the route point's connection leaves it (redirected), the default destination is offered it
      const rp = this.connectionOf(call, wait.routePoint);
      this.publish([routeEnd, ...this.dropEvents(call, rp, JtapiCause.REDIRECTED)], [...this.localAddresses(call), wait.routePoint]);
      call.connections = call.connections.filter((c) => c !== rp);
      call.lastRedirectedAddress = wait.routePoint;
      return this.offerOnward(call, call.callingAddress ?? "", fallback);
    }
    this.publish([routeEnd], this.localAddresses(call));
    this.clear(call, JtapiCause.DEST_NOT_OBTAINABLE, wait.routePoint);
  }

  /**
   * An offer of `call` to this device would fail busy: out of service, an unextended remote terminal
   * (JDG "CTI Ports / CTI RoutePoints / CTI Remote Device for JTAPI"; jtapi-fidelity B.2 (1)), or the line's
   * busy trigger reached (UCM line setting; jtapi-fidelity A9). The offer then ends as JDG Table 8's busy case.
   */
  private lineBusy(dev: Device, call?: Call): boolean {
    return !dev.inService ||
      (dev.config.kind === "remoteTerminal" && !dev.activeRemoteDestination && !dev.config.routeToAllWhenNotConnected) ||
      this.callsOf(dev.config.dn).filter((c) => c !== call).length >= dev.config.busyTrigger;
  }

  /** Would a call offered to local `dn` (from another cluster) fail busy now? An in-service route point never does (it is offered the call: JDG p.218). */
  busyAt(dn: string): boolean {
    const dev = this.devices.get(dn);
    if (!dev || (dev.config.kind === "routePoint" && dev.inService)) return false;
    return this.lineBusy(dev);
  }

  /** Checks, before anything changes, that a call can move on to `to` (redirect, blind transfer). */
  private requireOnward(call: Call, to: string): void {
    const kind = this.classify(to);
    if (kind === "unknown") throw new SwitchFault("InvalidPartyException", `${to} is an unallocated number`);
    // the model joins a call to one far half only: a call that already crosses the trunk cannot cross it again
    if (kind === "trunk" && call.peer) throw new SwitchFault("MethodNotSupportedException", "the simulator cannot send a call that came over the trunk over the trunk again");
  }

  /** Offers a call that moves on (redirected, transferred, routed) to its new destination, wherever it is. */
  private offerOnward(call: Call, from: string, to: string): void {
    const kind = this.classify(to);
    if (kind === "local") this.offerLocal(call, to);
    else if (kind === "trunk") this.offerTrunk(call, from, to);
    else this.offerPstn(call, to);
  }

  /** The destination is another cluster's: an external party here (CallCtlConnNetworkReachedEv, then NetworkAlertingEv: JDG, CallControlConnection states), a new inbound call there. */
  private offerTrunk(call: Call, from: string, to: string): void {
    const external: Connection = { address: to, local: false, state: "NETWORK_REACHED" };
    call.connections.push(external);
    this.publish([
      this.stamp(call, { id: "ConnCreatedEv", callId: call.id, address: to }),
      this.stamp(call, { id: "ConnInProgressEv", callId: call.id, address: to }),
      this.stamp(call, { id: "CallCtlConnNetworkReachedEv", callId: call.id, address: to }),
    ], this.localAddresses(call));
    const far = this.network.offerOverTrunk(this.name, call.id, from, to);
    if (far === "busy" || far === "unknown") {
      this.farFailed(call.id, far === "busy" ? JtapiCause.BUSY : JtapiCause.DEST_NOT_OBTAINABLE);
      return;
    }
    call.peer = { cluster: this.network.ownerOf(to)!, callId: far.callId };
    // the far half may have failed at once (busy): then this half already knows
    if (external.state === "NETWORK_REACHED") {
      external.state = "NETWORK_ALERTING";
      this.publish([
        this.stamp(call, { id: "ConnAlertingEv", callId: call.id, address: to }),
        this.stamp(call, { id: "CallCtlConnNetworkAlertingEv", callId: call.id, address: to }),
      ], this.localAddresses(call));
    }
  }

  /** A PSTN number (a mobile): an external party, network reached then alerting, as a trunk call (JDG, CallControlConnection states). */
  private offerPstn(call: Call, to: string): void {
    call.connections.push({ address: to, local: false, state: "NETWORK_ALERTING" });
    this.publish([
      this.stamp(call, { id: "ConnCreatedEv", callId: call.id, address: to }),
      this.stamp(call, { id: "ConnInProgressEv", callId: call.id, address: to }),
      this.stamp(call, { id: "CallCtlConnNetworkReachedEv", callId: call.id, address: to }),
      this.stamp(call, { id: "ConnAlertingEv", callId: call.id, address: to }),
      this.stamp(call, { id: "CallCtlConnNetworkAlertingEv", callId: call.id, address: to }),
    ], this.localAddresses(call));
  }

  /** An inbound call over the trunk: the caller is an external connection (addressType 2), the callee is offered as a local call (JDG Agent Greeting MSC). */
  acceptFromTrunk(peer: { cluster: string; callId: string }, from: string, to: string): { callId: string } | "busy" | "unknown" {
    if (!this.devices.has(to)) return "unknown";
    const call: Call = { id: newCallId(this.name), connections: [{ address: from, local: false, state: "ESTABLISHED" }], callingAddress: from, calledAddress: to, peer };
    this.calls.set(call.id, call);
    this.publish([
      this.stamp(call, { id: "CallActiveEv", callId: call.id }),
      this.stamp(call, { id: "ConnCreatedEv", callId: call.id, address: from }),
      this.stamp(call, { id: "ConnConnectedEv", callId: call.id, address: from }),
    ], [to]);
    this.offerLocal(call, to);
    const dest = call.connections.find((c) => c.address === to)!;
    if (dest.state === "FAILED") {
      // the near half hears busy and stays up until its caller hangs up
      call.peer = undefined;
      this.clear(call, JtapiCause.BUSY, null);
      return "busy";
    }
    return { callId: call.id };
  }

  // ---- actions on a call ----

  /**
   * The callee answers: ConnConnectedEv, CallCtlConnEstablishedEv, TermConnActiveEv, CallCtlTermConnTalkingEv
   * (JDG Agent Greeting MSC; for a remote terminal answered at the mobile, JDG p.1345). `at`: a remote
   * terminal's calls are answered at its remote destination only (jtapi-fidelity B.2 (1) 7).
   */
  answer(callId: string, dn: string, at: "device" | "remoteDestination" = "device"): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (conn.state !== "ALERTING") throw new SwitchFault("InvalidStateException", `call ${callId} is not ringing at DN ${dn}`);
    const dev = this.device(dn);
    if (dev.config.kind === "remoteTerminal" && at === "device") throw new SwitchFault("MethodNotSupportedException", `remote terminal ${dn}: calls are answered at the remote destination`);
    conn.state = "ESTABLISHED";
    conn.termState = "TALKING";
    const t = dev.terminal;
    this.publish([
      this.stamp(call, { id: "ConnConnectedEv", callId, address: dn }),
      this.stamp(call, { id: "CallCtlConnEstablishedEv", callId, address: dn }),
      this.stamp(call, { id: "TermConnActiveEv", callId, address: dn, terminal: t }),
      this.stamp(call, { id: "CallCtlTermConnTalkingEv", callId, address: dn, terminal: t }),
    ], this.localAddresses(call));
    if (call.peer) this.network.peerAnswered(call.peer);
    this.monitoring.connected(call, conn);
  }

  /** The far half of a trunk call was answered: the external party ConnConnectedEv/CallCtlConnEstablishedEv (JDG, CallControlConnection ESTABLISHED). */
  farAnswered(callId: string): void {
    const call = this.calls.get(callId);
    const external = call?.connections.find((c) => !c.local && c.state !== "DISCONNECTED" && c.state !== "ESTABLISHED");
    if (!call || !external) return;
    external.state = "ESTABLISHED";
    this.publish([
      this.stamp(call, { id: "ConnConnectedEv", callId, address: external.address }),
      this.stamp(call, { id: "CallCtlConnEstablishedEv", callId, address: external.address }),
    ], this.localAddresses(call));
    this.monitoring.connected(call, external);
  }

  /** The far half failed (busy, unknown): the external party ConnFailedEv/CallCtlConnFailedEv with the cause; the caller hears busy until it hangs up (JDG CallCtlConnFailedEv). */
  farFailed(callId: string, cause: number): void {
    const call = this.calls.get(callId);
    const external = call?.connections.find((c) => !c.local && c.state !== "DISCONNECTED" && c.state !== "FAILED");
    if (!call || !external) return;
    external.state = "FAILED";
    call.peer = undefined;
    this.publish([
      this.stamp(call, { id: "ConnFailedEv", callId, address: external.address, cause }),
      this.stamp(call, { id: "CallCtlConnFailedEv", callId, address: external.address, cause }),
    ], this.localAddresses(call));
  }

  /** A person at a PSTN phone answers (remote destinations). */
  pstnAnswer(number: string): Call {
    const call = [...this.calls.values()].find((c) => c.connections.some((x) => !x.local && x.address === number && x.state === "NETWORK_ALERTING"));
    if (!call) throw new SwitchFault("InvalidStateException", `no call is ringing at ${number}`);
    this.farAnswered(call.id);
    return call;
  }

  pstnHangup(number: string): Call {
    const call = [...this.calls.values()].find((c) => c.connections.some((x) => !x.local && x.address === number && x.state !== "DISCONNECTED"));
    if (!call) throw new SwitchFault("InvalidStateException", `${number} has no call`);
    this.clear(call, JtapiCause.NORMAL, number);
    return call;
  }

  /** CallCtlTermConnHeldEv (JDG p.1276). */
  hold(callId: string, dn: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (conn.termState !== "TALKING" || conn.state !== "ESTABLISHED") throw new SwitchFault("InvalidStateException", `call ${callId} is not talking at DN ${dn}`);
    conn.termState = "HELD";
    this.publish([this.stamp(call, { id: "CallCtlTermConnHeldEv", callId, address: dn, terminal: this.device(dn).terminal })], this.localAddresses(call));
  }

  /** CallCtlTermConnTalkingEv, cause 214 UNHOLD on call-control events (JDG p.1276). */
  unhold(callId: string, dn: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (conn.termState !== "HELD") throw new SwitchFault("InvalidStateException", `call ${callId} is not held at DN ${dn}`);
    conn.termState = "TALKING";
    this.publish([this.stamp(call, { id: "CallCtlTermConnTalkingEv", callId, address: dn, terminal: this.device(dn).terminal, cause: JtapiCause.UNHOLD })], this.localAddresses(call));
  }

  // ---- transfer ----

  /** First step of a two-step transfer: the call is held and a consult call is placed. */
  consult(callId: string, dn: string, to: string): Call {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (conn.state !== "ESTABLISHED") throw new SwitchFault("InvalidStateException", `call ${callId} is not established at DN ${dn}`);
    if (to !== dn && this.classify(to) === "unknown") throw new SwitchFault("InvalidPartyException", `${to} is an unallocated number`);
    if (conn.termState === "TALKING") this.hold(callId, dn);
    return this.originate(dn, to, "cti");
  }

  /** Second step of a transfer: the consult call's other party joins the held call; the controller leaves both. */
  transfer(callId: string, consultCallId: string, dn: string): void {
    this.merge(callId, consultCallId, dn, "transfer");
  }

  /** Second step of a conference: the consult call's other party joins the held call, which the controller retrieves. */
  conference(callId: string, consultCallId: string, dn: string): void {
    this.merge(callId, consultCallId, dn, "conference");
  }

  /**
   * Consult transfer and conference, in Cisco's order. JDG p.194-196 Table 8 "Core Events for Observers
   * of A and B" (consult transfer, B the controller): CiscoTransferStartEv (final call, META_UNKNOWN); in
   * the final call B drops; in the final call C appears (ConnCreated, ConnConnected, CallCtlConnEstablished,
   * TermConnCreated, TermConnActive, CallCtlTermConnTalking); only then the consult call is cleared (B
   * dropped, C dropped, CallInvalidEv); CiscoTransferEndEv. Every move carries META_CALL_TRANSFERRING.
   * Conference (JDG p.64 "Conference Scenarios", p.127 "Conference"; the order within the final call
   * follows the conference MSC of JDG p.1168, [I]): CiscoConferenceStartEv; in the final call the
   * controller talks again and C appears; the consult call is cleared; CiscoConferenceEndEv, with
   * META_CALL_MERGING. Causes as JDG p.1168 shows them: core events CAUSE_NORMAL, call-control events
   * CAUSE_TRANSFER (212) / CAUSE_CONFERENCE (207).
   */
  private merge(callId: string, consultCallId: string, dn: string, mode: "transfer" | "conference"): void {
    const callCtlCause = mode === "transfer" ? JtapiCause.TRANSFER : JtapiCause.CONFERENCE;
    const metaCode = mode === "transfer" ? JtapiMeta.CALL_TRANSFERRING : JtapiMeta.CALL_MERGING;
    const bracket = mode === "transfer" ? "CiscoTransfer" : "CiscoConference";
    const final = this.call(callId);
    const consult = this.call(consultCallId);
    if (final === consult) throw new SwitchFault("InvalidArgumentException", `a call cannot be merged with itself`);
    const controllerFinal = this.connectionOf(final, dn);
    const controllerConsult = this.connectionOf(consult, dn);
    const moving = consult.connections.filter((c) => c !== controllerConsult && c.state !== "DISCONNECTED" && c.state !== "FAILED");
    if (moving.length !== 1) throw new SwitchFault("InvalidStateException", `consult call ${consultCallId} has no party to transfer to`);
    const party = moving[0]!;
    if (final.peer && consult.peer) throw new SwitchFault("MethodNotSupportedException", "the simulator cannot join two calls that both cross the trunk");
    if (mode === "conference" && controllerFinal.termState !== "HELD") throw new SwitchFault("InvalidStateException", `call ${callId} is not held at DN ${dn}`);
    const addresses = new Set([...this.localAddresses(final), ...this.localAddresses(consult)]);
    const start = this.stamp(final, { id: `${bracket}StartEv`, callId, address: dn, transferredCallId: consultCallId, metaCode: JtapiMeta.UNKNOWN });
    // the moves: call-control events carry the feature's cause, core events CAUSE_NORMAL
    const moves: PendingEvent[] = [];
    const move = (events: PendingEvent[]) => moves.push(...events.map((e) => ({ ...e, cause: e.id.startsWith("CallCtl") ? callCtlCause : JtapiCause.NORMAL, metaCode })));
    if (mode === "transfer") {
      move(this.dropEvents(final, controllerFinal, callCtlCause));
      final.connections = final.connections.filter((c) => c !== controllerFinal);
    } else {
      controllerFinal.termState = "TALKING";
      move([this.stamp(final, { id: "CallCtlTermConnTalkingEv", callId, address: dn, terminal: this.devices.get(dn)?.terminal })]);
    }
    // the consulted party appears in the final call, in the state it had
    final.connections.push({ ...party });
    if (mode === "transfer") {
      final.callingAddress = final.connections.find((c) => c !== controllerFinal && c.address !== party.address)?.address ?? final.callingAddress;
      final.calledAddress = party.address;
    }
    const t = this.devices.get(party.address)?.terminal;
    const joined = (id: string, withTerminal = false) => this.stamp(final, { id, callId, address: party.address, ...(withTerminal && t ? { terminal: t } : {}) });
    const appears: PendingEvent[] = [joined("ConnCreatedEv")];
    if (party.state === "ESTABLISHED") {
      appears.push(joined("ConnConnectedEv"), joined("CallCtlConnEstablishedEv"));
      if (party.local) appears.push(joined("TermConnCreatedEv", true), joined("TermConnActiveEv", true), joined("CallCtlTermConnTalkingEv", true));
    } else {
      appears.push(joined("ConnAlertingEv"), joined(party.local ? "CallCtlConnAlertingEv" : "CallCtlConnNetworkAlertingEv"));
      if (party.local) appears.push(joined("TermConnCreatedEv", true), joined("TermConnRingingEv", true), joined("CallCtlTermConnRingingEv", true));
    }
    move(appears);
    // then the consult call is cleared: the controller, then the consulted party, then CallInvalidEv
    move(this.dropEvents(consult, controllerConsult, callCtlCause));
    move(this.dropEvents(consult, party, callCtlCause));
    move([this.stamp(consult, { id: "CallInvalidEv", callId: consultCallId })]);
    this.calls.delete(consultCallId);
    if (consult.peer) {
      final.peer = consult.peer;
      this.network.repointPeer(consult.peer, this.name, callId);
    }
    this.publish([start, ...moves, this.stamp(final, { id: `${bracket}EndEv`, callId, address: dn, transferredCallId: consultCallId, metaCode: JtapiMeta.UNKNOWN })], addresses);
  }

  /**
   * Blind transfer (CallControlCall.transfer(String)): the controller leaves and the destination is
   * offered the same call. JDG "Single Step Transfer": "A new call does not get created.
   * CiscoTransferStartEv and CiscoTransferEndEv do not get delivered to applications. The state of the
   * original call is retained if the transfer operation fails." So: no bracket, and every check is made
   * before anything changes. The controller's drop carries cause 100 ([I]: the guide names no cause;
   * jtapi-fidelity B.1(1)3), so nothing but the agent's own pending request marks it as a transfer.
   */
  singleStepTransfer(callId: string, dn: string, to: string): void {
    const call = this.call(callId);
    const controller = this.connectionOf(call, dn);
    if (controller.state !== "ESTABLISHED") throw new SwitchFault("InvalidStateException", `call ${callId} is not established at DN ${dn}`);
    this.requireOnward(call, to);
    // a busy destination, here or over the trunk, fails the transfer before any event and the call stays
    // (JDG "Single Step Transfer": CallControlCall.transfer(String) throws; nothing changed). The exception is
    // ResourceUnavailableException "busy" (jtapi-fidelity B.1 (2) op table; (3) step 5 "a busy trunk gives
    // 231 at once") [I: UCM's behaviour to a busy blind-transfer target is to be confirmed on a lab cluster]
    const kind = this.classify(to);
    if (kind === "local" ? this.busyAt(to) : kind === "trunk" && this.network.busyOverTrunk(this.name, to)) {
      throw new SwitchFault("ResourceUnavailableException", `destination ${to} is busy: the call stays at DN ${dn}`);
    }
    this.publish(this.dropEvents(call, controller, JtapiCause.NORMAL), this.localAddresses(call));
    call.connections = call.connections.filter((c) => c !== controller);
    call.callingAddress = this.config.transferCallerId === "transferrer" ? dn : (call.connections[0]?.address ?? call.callingAddress);
    call.calledAddress = to;
    call.lastRedirectedAddress = dn;
    this.offerOnward(call, call.callingAddress ?? dn, to);
  }

  // ---- silent monitoring ----

  /**
   * Silent monitoring through the agent phone's built-in bridge (model/monitoring.ts): `monitor` originates a new
   * call that reaches the agent as a MONITORING_TARGET, as in JDG MSC p.1593.
   */
  startMonitor(callId: string, agent: string, monitor: string, monitorType?: number, tone?: number): Call {
    return this.monitoring.start(callId, agent, monitor, monitorType, tone);
  }

  /** Alternate: hold the active call, retrieve the held one. */
  alternate(heldCallId: string, activeCallId: string, dn: string): void {
    const held = this.connectionOf(this.call(heldCallId), dn);
    if (held.termState !== "HELD") throw new SwitchFault("InvalidStateException", `call ${heldCallId} is not held at DN ${dn}`);
    this.hold(activeCallId, dn);
    this.unhold(heldCallId, dn);
  }

  /** Reconnect: leave the consult call (it ends with two parties: JDG p.1284 teardown) and retrieve the held call (CallCtlTermConnTalkingEv, JDG p.1276). */
  reconnect(heldCallId: string, consultCallId: string, dn: string): void {
    const held = this.connectionOf(this.call(heldCallId), dn);
    if (held.termState !== "HELD") throw new SwitchFault("InvalidStateException", `call ${heldCallId} is not held at DN ${dn}`);
    this.disconnect(consultCallId, dn);
    this.unhold(heldCallId, dn);
  }

  /**
   * Redirect (CallControlConnection.redirect(String)): a call ringing at `dn`, or offered to the route
   * point `dn`, goes on to `to`; the connection at `dn` drops with cause REDIRECTED. This is also how a
   * call is routed from a route point (Cisco's sample dialViaOffice l.211 routes so; docs/switch-link.md
   * says why not RouteSession.selectRoute). A destination that does not exist or is out of service
   * fails the request at once (JAR: REDIRECT_CALL_UNKNOWN_DESTINATION, ..._DESTINATION_OUT_OF_ORDER)
   * and the call stays where it was; at a route point its route select timer keeps running. After a
   * redirect from a route point its route session ends: RouteEndEvent (cause 100, [I] order).
   * Sources: JDG p.218 (routing from a route point), jtapi-fidelity A4, DVO l.211.
   */
  redirect(callId: string, dn: string, to: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    const wait = this.routeWaits.get(callId);
    const atRoutePoint = conn.state === "OFFERED" && wait?.routePoint === dn;
    if (conn.state !== "ALERTING" && !atRoutePoint) throw new SwitchFault("InvalidStateException", `call ${callId} is not ringing at DN ${dn}`);
    this.requireOnward(call, to);
    if (this.classify(to) === "local" && !this.device(to).inService) throw new SwitchFault("InvalidPartyException", `destination ${to} is out of service`);
    const addresses = this.localAddresses(call);
    if (atRoutePoint) {
      clearTimeout(wait!.timer);
      this.routeWaits.delete(callId);
    }
    this.publish([
      ...this.dropEvents(call, conn, JtapiCause.REDIRECTED),
      ...(atRoutePoint ? [this.stamp(call, { id: "RouteEndEvent", callId, address: dn, cause: RouteCause.NORMAL })] : []),
    ], [...addresses, dn]);
    call.connections = call.connections.filter((c) => c !== conn);
    // a routed call keeps the number dialed (the route point) as its called address: that is its DNIS
    if (!atRoutePoint) call.calledAddress = to;
    call.lastRedirectedAddress = dn;
    this.offerOnward(call, call.callingAddress ?? dn, to);
  }

  /**
   * One party leaves: its terminal connection drops (TermConnDroppedEv, CallCtlTermConnDroppedEv), then
   * its connection (ConnDisconnectedEv, CallCtlConnDisconnectedEv), each with the cause (JDG Table 8
   * "Core Events for Observers of A and B"; JDG p.1594, p.1284 two-party teardown).
   */
  private dropEvents(call: Call, conn: Connection, cause: number): PendingEvent[] {
    const events: PendingEvent[] = [];
    if (conn.local && conn.termState && conn.termState !== "DROPPED") {
      const t = this.devices.get(conn.address)?.terminal;
      events.push({ id: "TermConnDroppedEv", callId: call.id, address: conn.address, terminal: t, cause });
      events.push({ id: "CallCtlTermConnDroppedEv", callId: call.id, address: conn.address, terminal: t, cause });
      conn.termState = "DROPPED";
    }
    conn.state = "DISCONNECTED";
    const type = conn.addressType ? { addressType: conn.addressType } : {};
    events.push({ id: "ConnDisconnectedEv", callId: call.id, address: conn.address, cause, ...type }, { id: "CallCtlConnDisconnectedEv", callId: call.id, address: conn.address, cause, ...type });
    this.monitoring.left(call, conn);
    return events.map((e) => this.stamp(call, e));
  }

  /** The far half of a trunk call now belongs to another call on this side. */
  repointedPeer(callId: string, peer: { cluster: string; callId: string }): void {
    const call = this.calls.get(callId);
    if (call) call.peer = peer;
  }

  /** A party hangs up. With two parties left UCM clears the whole call (JDG p.1284, p.1594); with more, only that party leaves (JDG p.64 "Conference Scenarios"). */
  disconnect(callId: string, dn: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (this.live(call).length > 2) return this.dropParty(call, conn);
    this.clear(call, JtapiCause.NORMAL, dn);
  }

  /**
   * CallControlCall.drop(): the whole call is cleared, `dn` first (RequestClearCall). [I] JDG gives no
   * chart of its own; the events are those of a hang-up that clears the call.
   */
  dropCall(callId: string, dn: string): void {
    const call = this.call(callId);
    this.connectionOf(call, dn);
    this.clear(call, JtapiCause.NORMAL, dn);
  }

  /**
   * CallControlCall.addParty(String) (RequestSingleStepConference): `to` is offered the call as one more
   * party, the parties already in it stay connected. Checked before anything changes, like a redirect.
   * [I] the events are those of an offer to a party (JDG gives no chart of addParty).
   */
  addParty(callId: string, dn: string, to: string): void {
    const call = this.call(callId);
    const conn = this.connectionOf(call, dn);
    if (conn.state !== "ESTABLISHED" || conn.termState !== "TALKING") throw new SwitchFault("InvalidStateException", `call ${callId} is not talking at DN ${dn}`);
    if (call.connections.some((c) => c.address === to && c.state !== "DISCONNECTED")) throw new SwitchFault("InvalidPartyException", `${to} is already a party of call ${callId}`);
    this.requireOnward(call, to);
    if (this.classify(to) === "local" && !this.device(to).inService) throw new SwitchFault("InvalidPartyException", `destination ${to} is out of service`);
    this.offerOnward(call, call.callingAddress ?? dn, to);
  }

  /** A conference controller drops a party (DeleteFromConference). */
  dropFromConference(callId: string, dn: string, party: string): void {
    const call = this.call(callId);
    this.connectionOf(call, dn);
    const conn = this.connectionOf(call, party);
    if (this.live(call).length <= 2) throw new SwitchFault("InvalidStateException", `call ${callId} is not a conference: hang up instead`);
    this.dropParty(call, conn);
  }

  private live(call: Call): Connection[] {
    return call.connections.filter((c) => c.state !== "DISCONNECTED" && c.state !== "FAILED");
  }

  /** One party leaves a call of three or more (its connection and terminal connection drop, cause 100); the others stay connected, no CallInvalidEv (JDG p.64 "Conference Scenarios"). */
  private dropParty(call: Call, conn: Connection): void {
    const addresses = this.localAddresses(call);
    this.publish(this.dropEvents(call, conn, JtapiCause.NORMAL), addresses);
    call.connections = call.connections.filter((c) => c !== conn);
  }

  /** Clears the call: the dropping party first, then the others, then CallInvalidEv (JDG p.1594, p.1284 two-party teardown). */
  private clear(call: Call, cause: number, first: string | null): void {
    const addresses = this.localAddresses(call);
    const order = [...call.connections].sort((a, b) => (a.address === first ? -1 : b.address === first ? 1 : 0));
    const events: PendingEvent[] = [];
    for (const conn of order) {
      if (conn.state === "DISCONNECTED") continue;
      if (conn.local && conn.termState && conn.termState !== "DROPPED") {
        const t = this.devices.get(conn.address)?.terminal;
        events.push({ id: "TermConnDroppedEv", callId: call.id, address: conn.address, terminal: t, cause });
        events.push({ id: "CallCtlTermConnDroppedEv", callId: call.id, address: conn.address, terminal: t, cause });
        conn.termState = "DROPPED";
      }
      conn.state = "DISCONNECTED";
      const type = conn.addressType ? { addressType: conn.addressType } : {};
      events.push({ id: "ConnDisconnectedEv", callId: call.id, address: conn.address, cause, ...type });
      events.push({ id: "CallCtlConnDisconnectedEv", callId: call.id, address: conn.address, cause, ...type });
    }
    events.push({ id: "CallInvalidEv", callId: call.id, cause });
    this.calls.delete(call.id);
    this.monitoring.cleared(call);
    this.remote.cleared(call);
    const wait = this.routeWaits.get(call.id);
    if (wait) {
      clearTimeout(wait.timer);
      this.routeWaits.delete(call.id);
    }
    this.publish(events.map((e) => this.stamp(call, e)), addresses);
    if (call.peer) {
      const peer = call.peer;
      call.peer = undefined;
      this.network.peerCleared(peer);
    }
  }

  /** The far half was cleared: clear this half too. */
  farCleared(callId: string): void {
    const call = this.calls.get(callId);
    if (call) {
      call.peer = undefined;
      this.clear(call, JtapiCause.NORMAL, call.connections.find((c) => !c.local)?.address ?? null);
    }
  }

  // ---- devices ----

  /**
   * A device goes out of service, or comes back. `unregistered` (the phone is unplugged): its calls are
   * cleared first, then CiscoTermOutOfServiceEv and CiscoAddrOutOfServiceEv with
   * CAUSE_DEVICE_UNREGISTERED (JDG Energywise MSC p.992). `node-failure` (the CallManager node carrying
   * it fails): JDG "Cisco UCM Server Failure": "results only in termination of observation of that
   * device. The media path continues to exist", so its calls stay as they are, and the events are
   * CiscoAddrOutOfServiceEv then CiscoTermOutOfServiceEv with CAUSE_CALLMANAGER_FAILURE (address first, as
   * for a CTIManager failure, JDG p.216; [I] for a node). Back in service: CiscoTermInServiceEv, CiscoAddrInServiceEv.
   */
  setInService(dn: string, inService: boolean, how: "unregistered" | "node-failure" = "unregistered"): void {
    const dev = this.device(dn);
    if (dev.inService === inService) throw new SwitchFault("InvalidStateException", `DN ${dn} is already ${inService ? "in" : "out of"} service`);
    if (!inService && how === "unregistered") for (const call of this.callsOf(dn)) this.disconnect(call.id, dn);
    dev.inService = inService;
    const t = dev.terminal;
    if (inService) return this.publish([{ id: "CiscoTermInServiceEv", terminal: t, address: dn }, { id: "CiscoAddrInServiceEv", address: dn }], [dn]);
    if (how === "node-failure") {
      const oosCause = OutOfServiceCause.CALLMANAGER_FAILURE;
      return this.publish([{ id: "CiscoAddrOutOfServiceEv", address: dn, oosCause }, { id: "CiscoTermOutOfServiceEv", terminal: t, address: dn, oosCause }], [dn]);
    }
    const oosCause = OutOfServiceCause.DEVICE_UNREGISTERED;
    this.publish([{ id: "CiscoTermOutOfServiceEv", terminal: t, address: dn, oosCause }, { id: "CiscoAddrOutOfServiceEv", address: dn, oosCause }], [dn]);
  }

  private stamp(call: Call, e: PendingEvent): PendingEvent {
    return { callingAddress: call.callingAddress, calledAddress: call.calledAddress, ...(call.lastRedirectedAddress ? { lastRedirectedAddress: call.lastRedirectedAddress } : {}), ...e };
  }

  /** What the switch believes about these devices and their calls (JTAPI's snapshot events, in one answer). */
  snapshot(dns: Set<string>, provider?: string): Snapshot {
    const addresses = [...this.devices.values()]
      .filter((d) => dns.has(d.config.dn))
      .map((d) => ({ address: d.config.dn, terminal: d.terminal, kind: d.config.kind, inService: d.inService, terminalInService: d.inService, ...this.remote.snapshotFields(d.config.dn, provider) }));
    const calls = [...this.calls.values()]
      .filter((c) => c.connections.some((x) => x.local && dns.has(x.address) && x.state !== "DISCONNECTED"))
      .map((c) => ({
        callId: c.id,
        callingAddress: c.callingAddress,
        calledAddress: c.calledAddress,
        connections: c.connections.filter((x) => x.state !== "DISCONNECTED").map((x) => ({ address: x.address, state: x.state, ...(x.local && x.termState ? { terminalState: x.termState } : {}), ...(x.addressType ? { addressType: x.addressType } : {}) })),
      }));
    return { addresses, calls };
  }

  /** A device as the control API shows it. */
  describe(dn: string): object {
    const d = this.device(dn);
    return {
      cluster: this.name,
      dn,
      kind: d.config.kind,
      terminal: d.terminal,
      inService: d.inService,
      ...(d.config.kind === "remoteTerminal" ? { remoteDestinations: (this.remote.snapshotFields(dn, undefined) as { remoteDestinations?: unknown }).remoteDestinations, activeRemoteDestination: d.activeRemoteDestination } : {}),
      calls: this.callsOf(dn).map((c) => {
        const mine = c.connections.find((x) => x.address === dn)!;
        return {
          callId: c.id,
          state: mine.state,
          terminalState: mine.termState ?? null,
          callingAddress: c.callingAddress,
          calledAddress: c.calledAddress,
          parties: c.connections.filter((x) => x.address !== dn).map((x) => ({ address: x.address, state: x.state, local: x.local })),
        };
      }),
    };
  }
}
