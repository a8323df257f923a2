// Silent monitoring through the agent phone's built-in bridge, shaped as Cisco documents it: the monitor call
// is a new call of its own (JDG MSC p.1593), in which the agent appears only as a MONITORING_TARGET address;
// the monitored call hears of the monitoring through CiscoTermConnMonitoring*Ev and MonitorInitiatorInfoEv.
// jtapi-fidelity.md A2 and B.1 (1) give the sources step by step.
import { AddressType, JtapiCause, MonitorType, PlayTone } from "../../../../shared/switch-link.js";
import type { Device } from "./cluster.js";
import { type Call, type Connection, type PendingEvent, SwitchFault } from "./types.js";

/** What monitoring needs of its cluster (closures over the cluster's own private methods). */
export interface ClusterInternals {
  devices: Map<string, Device>;
  calls: Map<string, Call>;
  newCall(callingAddress: string | null, calledAddress: string | null): Call;
  publish(events: PendingEvent[], addresses: Iterable<string>): void;
  stamp(call: Call, e: PendingEvent): PendingEvent;
  clear(call: Call, cause: number, first: string | null): void;
  localAddresses(call: Call): string[];
}

interface Session {
  /** GC1: the agent's call. */
  monitoredCallId: string;
  /** GC2: the monitor call. */
  monitorCallId: string;
  /** The agent: A, whose terminal connection in GC1 is monitored. */
  target: string;
  /** Who listens now: the CTI port that started it, then whoever the monitor call was transferred to. */
  initiator: string;
  monitorType: number;
  tone: number;
  mediaTimer?: NodeJS.Timeout;
}

export class Monitoring {
  /** Sessions by monitor call (GC2), and the monitor call of each monitored call (GC1). */
  private sessions = new Map<string, Session>();
  private byMonitored = new Map<string, string>();
  /** Work that must follow the batch being published (a call cleared because of it). */
  private after: Array<() => void> = [];

  constructor(private readonly c: ClusterInternals) {}

  private terminalOf(dn: string): string | undefined {
    return this.c.devices.get(dn)?.terminal;
  }

  /** The monitor call of a monitored call, if any (GC1 -> GC2). */
  monitorCallOf(monitoredCallId: string): string | undefined {
    return this.byMonitored.get(monitoredCallId);
  }

  isMonitorCall(callId: string): boolean {
    return this.sessions.has(callId);
  }

  /**
   * CiscoCall.startMonitor on a new idle call (JDG p.345 pre-conditions, p.232, MSC p.1593). `monitor` originates
   * the monitor call GC2 and reaches the agent's built-in bridge, which appears as a MONITORING_TARGET connection.
   */
  start(monitoredCallId: string, target: string, monitor: string, monitorType: number = MonitorType.SILENT, tone: number = PlayTone.NOLOCAL_OR_REMOTE): Call {
    const gc1 = this.c.calls.get(monitoredCallId);
    if (!gc1) throw new SwitchFault("InvalidStateException", `no call ${monitoredCallId}: only a connected call can be monitored`);
    const agentDev = this.c.devices.get(target);
    if (!agentDev) throw new SwitchFault("InvalidArgumentException", `no device with DN ${target}`, 404);
    const agent = gc1.connections.find((x) => x.address === target && x.local && x.state !== "DISCONNECTED");
    // JDG p.232: "can only monitor calls that are in a connected state"; p.345: the target terminal connection is TALKING
    if (!agent || agent.state !== "ESTABLISHED" || agent.termState !== "TALKING") {
      throw new SwitchFault("InvalidStateException", `call ${monitoredCallId} is not connected and talking at DN ${target}: only a connected call can be monitored`);
    }
    if (monitorType !== MonitorType.SILENT && monitorType !== MonitorType.WHISPER) throw new SwitchFault("InvalidArgumentException", `monitor type ${monitorType} is neither SILENT_MONITOR (1) nor WHISPER_MONITOR (2)`);
    if (tone < PlayTone.LOCALONLY || tone > PlayTone.NOLOCAL_OR_REMOTE) throw new SwitchFault("InvalidArgumentException", `tone direction ${tone} is not a PLAYTONE_* value (0-3)`);
    // the built-in bridge: phones have one unless configured off; CTI ports, route points and remote devices have none
    if (agentDev.config.kind !== "phone" || !agentDev.config.builtInBridge) {
      throw new SwitchFault("ResourceUnavailableException", `DN ${target} has no built-in bridge to monitor through`, 409, "CTIERR_BIB_RESOURCE_NOT_AVAILABLE");
    }
    if (this.byMonitored.has(monitoredCallId)) throw new SwitchFault("InvalidStateException", `call ${monitoredCallId} is already monitored: one monitor per call`);
    const dev = this.c.devices.get(monitor);
    if (!dev) throw new SwitchFault("InvalidArgumentException", `no device with DN ${monitor}`, 404);
    if (!dev.inService) throw new SwitchFault("ResourceUnavailableException", `DN ${monitor} is out of service`);
    if (monitor === target) throw new SwitchFault("InvalidArgumentException", `DN ${monitor} cannot monitor itself`);
    // the initiator originates the monitor call: it must be idle
    const busy = [...this.c.calls.values()].some((call) => call.connections.some((x) => x.local && x.address === monitor && x.state !== "DISCONNECTED" && x.state !== "FAILED"));
    if (busy) throw new SwitchFault("ResourceUnavailableException", `DN ${monitor} is busy: the initiator of a monitor call must be idle`);

    const gc2 = this.c.newCall(monitor, target);
    const p: Connection = { address: monitor, local: true, state: "ESTABLISHED", termState: "TALKING" };
    // the agent's leg: no terminal connection of its own in GC2 (MSC p.1593), and not one of the agent's calls
    const a: Connection = { address: target, local: false, state: "ESTABLISHED", addressType: AddressType.MONITORING_TARGET };
    gc2.connections.push(p, a);
    const session: Session = { monitoredCallId, monitorCallId: gc2.id, target, initiator: monitor, monitorType, tone };
    this.sessions.set(gc2.id, session);
    this.byMonitored.set(monitoredCallId, gc2.id);
    const tb = dev.terminal;
    const ta = agentDev.terminal;
    const id = gc2.id;
    const onP = (ev: string, withTerminal = false): PendingEvent => this.c.stamp(gc2, { id: ev, callId: id, address: monitor, ...(withTerminal ? { terminal: tb } : {}) });
    const onA = (ev: string): PendingEvent => this.c.stamp(gc2, { id: ev, callId: id, address: target, addressType: AddressType.MONITORING_TARGET });
    // GC2, in the order of JDG MSC p.1593 (jtapi-fidelity B.1 (1) 1)
    this.c.publish([
      this.c.stamp(gc2, { id: "CallActiveEv", callId: id }),
      onP("ConnCreatedEv"),
      onP("ConnConnectedEv"),
      onP("CallCtlConnInitiatedEv"),
      onP("TermConnCreatedEv", true),
      onP("TermConnActiveEv", true),
      onP("CallCtlTermConnTalkingEv", true),
      onP("CallCtlConnDialingEv"),
      onP("CallCtlConnEstablishedEv"),
      onA("ConnCreatedEv"),
      onA("ConnInProgressEv"),
      onA("CallCtlConnOfferedEv"),
      onA("ConnAlertingEv"),
      onA("CallCtlConnAlertingEv"),
      onA("ConnConnectedEv"),
      onA("CallCtlConnEstablishedEv"),
      // media to the port (feature reason REASON_CALL_MONITORING), then who is monitored
      onP("CiscoRTPInputStartedEv", true),
      this.c.stamp(gc2, { id: "CiscoTermConnMonitorTargetInfoEv", callId: id, address: monitor, terminal: tb, targetAddress: target, targetTerminal: ta }),
    ], [monitor]);
    // GC1: the monitoring starts on the agent's terminal connection, then who the initiator is (MSC p.1593)
    this.c.publish([
      this.c.stamp(gc1, { id: "CiscoTermConnMonitoringStartEv", callId: monitoredCallId, address: target, terminal: ta, monitorType, toneDirection: tone }),
      this.initiatorInfo(gc1, session, monitor, tb, AddressType.INTERNAL),
    ], this.c.localAddresses(gc1));
    this.armMediaTimer(session, dev);
    return gc2;
  }

  private initiatorInfo(gc1: Call, s: Session, initiator: string, terminal: string | undefined, type: number): PendingEvent {
    return this.c.stamp(gc1, {
      id: "CiscoTermConnMonitorInitiatorInfoEv",
      callId: s.monitoredCallId,
      address: s.target,
      terminal: this.terminalOf(s.target),
      initiatorAddress: initiator,
      ...(terminal ? { initiatorTerminal: terminal } : {}),
      initiatorAddressType: type,
    });
  }

  /**
   * A CTI port registered without media drops the monitor call it still holds after mediaTimeoutMs
   * (JDG "CiscoMediaTerminal": "the call may get dropped"); the seed's "transfer immediately".
   */
  private armMediaTimer(s: Session, dev: Device): void {
    const ms = dev.config.kind === "ctiPort" ? dev.config.mediaTimeoutMs : 0;
    if (ms <= 0) return;
    const port = dev.config.dn;
    s.mediaTimer = setTimeout(() => {
      const gc2 = this.c.calls.get(s.monitorCallId);
      const still = gc2?.connections.some((x) => x.local && x.address === port && x.state === "ESTABLISHED");
      if (gc2 && still) this.c.clear(gc2, JtapiCause.NORMAL, port);
    }, ms);
    s.mediaTimer.unref?.();
  }

  /**
   * A party of a monitor call connected (after a single-step transfer or redirect of it): it is the initiator now.
   * GC1 hears who (JDG p.1594: a new CiscoTermConnMonitorInitiatorInfoEv); a local one also gets the target info
   * on its terminal. An external party (over the trunk) is named with addressType EXTERNAL (jtapi-fidelity B.1 (1) 3).
   */
  connected(call: Call, party: Connection): void {
    const s = this.sessions.get(call.id);
    if (!s || party.addressType === AddressType.MONITORING_TARGET || party.address === s.initiator) return;
    const gc1 = this.c.calls.get(s.monitoredCallId);
    s.initiator = party.address;
    const terminal = party.local ? this.terminalOf(party.address) : undefined;
    if (party.local && terminal) {
      this.c.publish([
        this.c.stamp(call, { id: "CiscoTermConnMonitorTargetInfoEv", callId: call.id, address: party.address, terminal, targetAddress: s.target, targetTerminal: this.terminalOf(s.target) }),
      ], this.c.localAddresses(call));
    }
    if (gc1) this.c.publish([this.initiatorInfo(gc1, s, party.address, terminal, party.local ? AddressType.INTERNAL : AddressType.EXTERNAL)], this.c.localAddresses(gc1));
  }

  /**
   * A connection left a call (hang-up, transfer, drop from a conference). When it is the agent's, in its
   * monitored call, UCM clears the monitor call (TDG 1064: "monitoring call goes idle at the supervisor"),
   * after the batch that tells of the agent leaving.
   */
  left(call: Call, conn: Connection): void {
    const gc2 = this.byMonitored.get(call.id);
    const s = gc2 ? this.sessions.get(gc2) : undefined;
    if (!s || conn.address !== s.target || !conn.local) return;
    this.after.push(() => {
      const m = this.c.calls.get(s.monitorCallId);
      if (m) this.c.clear(m, JtapiCause.NORMAL, null);
      else this.forget(s);
    });
  }

  /**
   * A call was cleared. A monitored call: its monitor call is cleared next. A monitor call: monitoring ends,
   * and the monitored call's agent hears it (CiscoTermConnMonitoringEndEv, JDG p.1276, p.1594).
   */
  cleared(call: Call): void {
    const gc2 = this.byMonitored.get(call.id);
    if (gc2) {
      const s = this.sessions.get(gc2)!;
      this.byMonitored.delete(call.id);
      this.after.push(() => {
        const m = this.c.calls.get(gc2);
        if (m) this.c.clear(m, JtapiCause.NORMAL, null);
        this.forget(s);
      });
    }
    const s = this.sessions.get(call.id);
    if (s) {
      this.forget(s);
      const gc1 = this.c.calls.get(s.monitoredCallId);
      const agent = gc1?.connections.find((x) => x.address === s.target && x.local && x.state !== "DISCONNECTED");
      if (gc1 && agent) {
        this.after.push(() => this.c.publish([
          this.c.stamp(gc1, { id: "CiscoTermConnMonitoringEndEv", callId: gc1.id, address: s.target, terminal: this.terminalOf(s.target), monitorType: s.monitorType }),
        ], this.c.localAddresses(gc1)));
      }
    }
  }

  private forget(s: Session): void {
    clearTimeout(s.mediaTimer);
    this.sessions.delete(s.monitorCallId);
    if (this.byMonitored.get(s.monitoredCallId) === s.monitorCallId) this.byMonitored.delete(s.monitoredCallId);
  }

  /** Runs what had to wait for the batch just delivered; called by the cluster after every batch. */
  afterPublish(): void {
    while (this.after.length > 0) this.after.shift()!();
  }

  stop(): void {
    for (const s of this.sessions.values()) clearTimeout(s.mediaTimer);
  }
}
