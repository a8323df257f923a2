// JTAPI event sequences exactly as docs/switch-link.md and the JTAPI section of tlibrary.md list them,
// built by hand (independent of the simulator) for the normalizer's unit tests.
import type { JtapiEvent, Snapshot } from "../../../shared/switch-link.js";

export const T = "2026-11-24T10:00:00.000Z";
export const terminalOf = (dn: string) => `SEP0000000A${dn}`;

/** One call's events. Parties listed in `local` have terminal connections (devices of this cluster). */
export function call(callId: string, calling: string | null, called: string | null, local: string[]) {
  const ev = (id: string, address?: string, extra: Partial<JtapiEvent> = {}): JtapiEvent => ({
    id, callId, cause: 100, time: T, callingAddress: calling, calledAddress: called,
    ...(address ? { address } : {}), ...(address && local.includes(address) && id.includes("Term") ? { terminal: terminalOf(address) } : {}), ...extra,
  });
  return {
    /** Calling side, the call is placed: CallActive .. CallCtlTermConnTalking. */
    placed: (from: string) => [ev("CallActiveEv"), ev("ConnCreatedEv", from), ev("ConnConnectedEv", from), ev("CallCtlConnInitiatedEv", from), ev("TermConnCreatedEv", from), ev("TermConnActiveEv", from), ev("CallCtlTermConnTalkingEv", from)],
    /** The digits went out: CallCtlConnDialing, then the caller's own CallCtlConnEstablished (not an answer). */
    dials: (from: string) => [ev("CallCtlConnDialingEv", from), ev("CallCtlConnEstablishedEv", from)],
    /** Called side rings. */
    rings: (to: string) => [ev("ConnCreatedEv", to), ev("ConnInProgressEv", to), ev("CallCtlConnOfferedEv", to), ev("ConnAlertingEv", to), ev("CallCtlConnAlertingEv", to), ev("TermConnCreatedEv", to), ev("TermConnRingingEv", to), ev("CallCtlTermConnRingingEv", to)],
    answers: (to: string) => [ev("ConnConnectedEv", to), ev("CallCtlConnEstablishedEv", to), ev("TermConnActiveEv", to), ev("CallCtlTermConnTalkingEv", to)],
    holds: (dn: string) => [ev("CallCtlTermConnHeldEv", dn)],
    retrieves: (dn: string) => [ev("CallCtlTermConnTalkingEv", dn, { cause: 214 })],
    /** The destination is busy: its connection fails with cause BUSY (203). */
    busy: (to: string) => [ev("ConnCreatedEv", to), ev("ConnFailedEv", to, { cause: 203 }), ev("CallCtlConnFailedEv", to, { cause: 203 })],
    /** A number beyond the cluster: the far party is reached over a trunk (no terminal connection here). */
    networkAlerting: (to: string) => [ev("ConnCreatedEv", to), ev("ConnInProgressEv", to), ev("CallCtlConnNetworkReachedEv", to), ev("ConnAlertingEv", to), ev("CallCtlConnNetworkAlertingEv", to)],
    farAnswers: (to: string) => [ev("ConnConnectedEv", to), ev("CallCtlConnEstablishedEv", to)],
    /** The far cluster's half of a trunk call: the external caller is there already, connected. */
    arrivesOverTrunk: (from: string) => [ev("CallActiveEv"), ev("ConnCreatedEv", from), ev("ConnConnectedEv", from)],
    /** Parties drop in this order (the first hangs up; with two parties UCM clears the call), then CallInvalid. */
    clears: (...parties: string[]) => [
      ...parties.flatMap((dn) => [
        ...(local.includes(dn) ? [ev("TermConnDroppedEv", dn), ev("CallCtlTermConnDroppedEv", dn)] : []),
        ev("ConnDisconnectedEv", dn), ev("CallCtlConnDisconnectedEv", dn),
      ]),
      ev("CallInvalidEv"),
    ],
    /** The call reaches a CTI route point, which asks where it goes (RouteEvent, from the route callback). */
    atRoutePoint: (routePoint: string) => [ev("ConnCreatedEv", routePoint), ev("ConnInProgressEv", routePoint), ev("CallCtlConnOfferedEv", routePoint), ev("RouteEvent", routePoint)],
    /** The route point's connection is redirected away: it drops (redirected), its route session ends. */
    routed: (routePoint: string) => [
      ev("ConnDisconnectedEv", routePoint), ev("CallCtlConnDisconnectedEv", routePoint, { cause: 210 }), ev("RouteEndEvent", routePoint),
    ],
    /** The route select timer expired: RouteEndEvent (CAUSE_ROUTING_TIMER_EXPIRED), the default treatment forwards the call. */
    routeTimerExpired: (routePoint: string) => [
      ev("RouteEndEvent", routePoint, { cause: 101 }), ev("ConnDisconnectedEv", routePoint), ev("CallCtlConnDisconnectedEv", routePoint, { cause: 210 }),
    ],
    ev,
  };
}

/** Service events of a device going out of service (terminal first, as UCM reports). */
export function outOfService(dn: string, withAddressOnTerminalEvents = false): JtapiEvent[] {
  return [
    { id: "CiscoTermOutOfServiceEv", terminal: terminalOf(dn), ...(withAddressOnTerminalEvents ? { address: dn } : {}), cause: 100, time: T },
    { id: "CiscoAddrOutOfServiceEv", address: dn, cause: 100, time: T },
  ];
}

export function backInService(dn: string): JtapiEvent[] {
  return [
    { id: "CiscoTermInServiceEv", terminal: terminalOf(dn), cause: 100, time: T },
    { id: "CiscoAddrInServiceEv", address: dn, cause: 100, time: T },
  ];
}

export function phones(...dns: string[]): Snapshot["addresses"] {
  return dns.map((dn) => ({ address: dn, terminal: terminalOf(dn), kind: "phone", inService: true, terminalInService: true }));
}
