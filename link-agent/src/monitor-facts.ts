// Silent monitoring in JTAPI's shape (jtapi-fidelity.md B.1 (2), JDG MSC p.1593) -> the uplink's facts:
// - the agent's MONITORING_TARGET leg of a monitor call (addressType 5) never gets a phase: no phantom
//   ringing/established for the agent;
// - the initiator of a call its own startMonitor placed gets `monitorStarted` (not `dialing`), naming the
//   monitored call;
// - on the monitored call, CiscoTermConnMonitorInitiatorInfoEv gives `observer` added (then changed when the
//   monitor call moves on), CiscoTermConnMonitoringEndEv gives `observer` ended.
import { AddressType, type JtapiEvent, type SnapshotCall } from "../../shared/switch-link.js";
import type { CallPhase, SwitchEvent } from "../../shared/uplink.js";

type Emit = (event: SwitchEvent) => void;
type ObserverType = "internal" | "external";

/** What monitoring needs of the normalizer's view of one call. */
export interface CallView {
  phases: Map<string, CallPhase>;
  members: Set<string>;
  established: Set<string>;
}

const isConnectionEvent = (id: string) => id.startsWith("Conn") || id.startsWith("CallCtlConn");

export class MonitorFacts {
  /** Monitor calls this agent's startMonitor placed and whose initiator has not been told yet (key link|GC2). */
  private expected = new Map<string, { monitor: string; target: string; monitoredCallId: string }>();
  /** The observer each monitored call was last told of (key link|GC1). */
  private observers = new Map<string, { dn: string; addressType: ObserverType }>();

  /**
   * The switch answered startMonitor with the monitor call: its events follow the answer (the link's ordering
   * rule), so the initiator's dialing can be recognised as the start of monitoring.
   */
  expect(link: string, monitorCallId: string, monitor: string, target: string, monitoredCallId: string): void {
    this.expected.set(`${link}|${monitorCallId}`, { monitor, target, monitoredCallId });
  }

  /** Takes the monitoring events and the target leg's events; false for an event it leaves to the normalizer. */
  apply(link: string, e: JtapiEvent, call: CallView, serves: (dn: string) => boolean, emit: Emit): boolean {
    const key = `${link}|${e.callId}`;
    const a = e.address;
    // the agent's leg of a monitor call is the built-in bridge, not a call of the agent's; once it is connected
    // the monitoring runs (whichever of that and the target info a bridge delivers first tells it)
    if (e.addressType === AddressType.MONITORING_TARGET && isConnectionEvent(e.id)) {
      if (e.id === "ConnConnectedEv" || e.id === "CallCtlConnEstablishedEv") this.started(key, e, e.address, call, serves, emit);
      return true;
    }
    switch (e.id) {
      case "CallCtlConnDialingEv":
        return this.expected.get(key)?.monitor === a;
      case "CiscoTermConnMonitorTargetInfoEv":
        if (this.expected.get(key)?.monitor === a) this.started(key, e, e.targetAddress, call, serves, emit);
        return true;
      case "CiscoTermConnMonitoringStartEv":
        return true;
      case "CiscoTermConnMonitorInitiatorInfoEv": {
        const initiator = e.initiatorAddress;
        if (!initiator || !a || !serves(a) || !call.phases.has(a)) return true;
        const before = this.observers.get(key);
        const addressType: ObserverType = e.initiatorAddressType === AddressType.INTERNAL ? "internal" : "external";
        if (before?.dn === initiator) return true;
        this.observers.set(key, { dn: initiator, addressType });
        emit({ kind: "observer", time: e.time, dn: a, callId: e.callId!, otherDN: initiator, addressType, change: before ? "changed" : "added" });
        return true;
      }
      case "CiscoTermConnMonitoringEndEv": {
        const before = this.observers.get(key);
        this.observers.delete(key);
        if (before && a && serves(a) && call.phases.has(a)) emit({ kind: "observer", time: e.time, dn: a, callId: e.callId!, otherDN: before.dn, addressType: before.addressType, change: "ended" });
        return true;
      }
    }
    return false;
  }

  /** The monitor call this agent's startMonitor placed is connected to its target: the initiator listens. */
  private started(key: string, e: JtapiEvent, target: string | undefined, call: CallView, serves: (dn: string) => boolean, emit: Emit): void {
    const m = this.expected.get(key);
    if (!m) return;
    this.expected.delete(key);
    if (!serves(m.monitor) || call.phases.has(m.monitor)) return;
    call.phases.set(m.monitor, "established");
    emit({ kind: "monitorStarted", time: e.time, dn: m.monitor, callId: e.callId!, otherDN: target ?? m.target, monitoredCallId: m.monitoredCallId });
  }

  /**
   * How a snapshot's monitor call looks to a served DN: the target leg is nobody's call, and the initiator
   * listens (established, role Observer) to the target. Null: an ordinary connection.
   */
  snapshotView(c: SnapshotCall, dn: string): { skip: true } | { phase: CallPhase; otherDN: string } | null {
    const conn = c.connections.find((x) => x.address === dn && x.addressType !== AddressType.MONITORING_TARGET);
    if (!conn) return c.connections.some((x) => x.address === dn) ? { skip: true } : null;
    const target = c.connections.find((x) => x.addressType === AddressType.MONITORING_TARGET);
    if (!target || c.callingAddress !== dn || conn.state !== "ESTABLISHED") return null;
    return { phase: conn.terminalState === "HELD" ? "held" : "established", otherDN: target.address };
  }

  /** A call ended (CallInvalidEv). */
  forget(link: string, callId: string): void {
    this.expected.delete(`${link}|${callId}`);
    this.observers.delete(`${link}|${callId}`);
  }

  forgetLink(link: string): void {
    for (const map of [this.expected, this.observers]) for (const key of [...map.keys()]) if (key.startsWith(`${link}|`)) map.delete(key);
  }
}
