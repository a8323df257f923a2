import type { JtapiEvent } from "../../../../shared/switch-link.js";

export type ConnState = "IDLE" | "INITIATED" | "DIALING" | "NETWORK_REACHED" | "NETWORK_ALERTING" | "OFFERED" | "ALERTING" | "ESTABLISHED" | "DISCONNECTED" | "FAILED";
export type TermState = "RINGING" | "TALKING" | "HELD" | "DROPPED";

/** One party of a call as this cluster sees it; `local` parties have a device (and so a terminal connection). */
export interface Connection {
  address: string;
  local: boolean;
  state: ConnState;
  termState?: TermState;
  /** CiscoAddress.getType() when it is not what `local` implies: 5 for the agent's MONITORING_TARGET leg of a monitor call. */
  addressType?: number;
}

export interface Call {
  id: string;
  connections: Connection[];
  callingAddress: string | null;
  calledAddress: string | null;
  /** Where the call was last redirected from (a route point). */
  lastRedirectedAddress?: string;
  /** The other half of a call that crosses the trunk, on the far cluster. */
  peer?: { cluster: string; callId: string };
}

/** A JTAPI event before the cluster stamps its time. */
export type PendingEvent = Omit<JtapiEvent, "time" | "cause"> & { cause?: number };

/** Thrown by model operations; the link maps it to a JTAPI exception, the control API to an HTTP status. */
export class SwitchFault extends Error {
  constructor(
    readonly exception: "InvalidArgumentException" | "InvalidPartyException" | "InvalidStateException" | "PrivilegeViolationException" | "ResourceUnavailableException" | "MethodNotSupportedException" | "PlatformException",
    message: string,
    readonly status: 404 | 409 | 400 = 409,
    /** Cisco's CTIERR_* name (CiscoJtapiException.getErrorName()), when Cisco documents one for the case. */
    readonly errorName?: string,
  ) {
    super(message);
  }
}
