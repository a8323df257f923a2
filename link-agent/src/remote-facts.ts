// Extend and connect (CiscoRemoteTerminal, jtapi-fidelity.md B.2 (2)) -> the uplink's facts: the provider
// event CiscoProvTerminalRemoteDestinationChangedEv gives `remoteDestination`, a snapshot's remote terminal
// carries its destinations, and a call placed through CTI from a remote terminal is `dialing` from its start
// (the mobile rings first; the number is dialed only when it answers).
import type { JtapiEvent, RemoteDestinationInfo, SnapshotAddress } from "../../shared/switch-link.js";
import type { SnapshotDn, SwitchEvent } from "../../shared/uplink.js";

type Remote = NonNullable<SnapshotDn["remote"]>;

function activeOf(all: RemoteDestinationInfo[] | undefined): Remote["active"] {
  const a = all?.find((d) => d.active);
  return a ? { number: a.number, name: a.name } : null;
}

/** SnapshotDn.remote for a remote terminal's snapshot address; undefined for any other device. */
export function snapshotRemote(a: SnapshotAddress): Remote | undefined {
  if (a.kind !== "remoteTerminal") return undefined;
  return {
    active: activeOf(a.remoteDestinations),
    mine: a.myAppLastToSetActiveRD ?? false,
    all: (a.remoteDestinations ?? []).map((d) => ({ number: d.number, name: d.name })),
  };
}

/** The `remoteDestination` fact of a CiscoProvTerminalRemoteDestinationChangedEv (for a served DN). */
export function remoteDestinationFact(e: JtapiEvent, dn: string): Extract<SwitchEvent, { kind: "remoteDestination" }> {
  return { kind: "remoteDestination", time: e.time, dn, active: activeOf(e.remoteDestinations), mine: e.myAppLastToSetActiveRD ?? false };
}
