// Feature F3 (seed "Extend and connect"; jtapi-fidelity.md B.2): a remote terminal's extend-and-connect
// ownership and service state, as pure decisions. The Dn of the remote terminal is the one owner of this
// state: the owner session, what it asked for, and what the switch says, so a link agent that takes over
// (or starts late) needs nothing from the one before it.
import { ErrorCode } from "../../../shared/tlib.js";
import type { RemoteDestination } from "../../../shared/uplink.js";

export const REMOTE_DEST = "REMOTE_DEST";
export const REMOTE_NAME = "REMOTE_NAME";

export interface RemoteState {
  /** The session that extended the terminal last (the only one that can deactivate it), or null. */
  owner: string | null;
  /** What the owner asked for. */
  dest: string;
  name: string;
  /** The switch's active remote destination and whether this T-Server's provider set it last. */
  active: RemoteDestination | null;
  mine: boolean;
  /** A setRemoteDestination on its way: service changes are not announced until it settles. */
  settling: string | null;
  /** What the DN's clients were told last: in service with these extensions, or out of service. */
  announced: { dest: string; name: string } | null;
}

export const noRemote: RemoteState = { owner: null, dest: "", name: "", active: null, mine: false, settling: null, announced: null };

/** REMOTE_DEST / REMOTE_NAME of a RequestRegisterAddress: none, the activation asked for, or a refusal (53). */
export function parseActivation(extensions: Record<string, unknown> | undefined): { dest: string; name: string } | null | { code: number; message: string } {
  const dest = extensions?.[REMOTE_DEST];
  const name = extensions?.[REMOTE_NAME];
  if (dest === undefined) {
    return name === undefined ? null : { code: ErrorCode.InvalidAttribute, message: `${REMOTE_NAME} needs ${REMOTE_DEST}: the remote destination number` };
  }
  if (typeof dest !== "string" || !/^[0-9*#+]{1,24}$/.test(dest)) {
    return { code: ErrorCode.InvalidAttribute, message: `extension ${REMOTE_DEST}: "${String(dest)}" is not valid; valid values: 1 to 24 of 0-9 * # +` };
  }
  if (name !== undefined && (typeof name !== "string" || name.length === 0 || name.length > 50)) {
    return { code: ErrorCode.InvalidAttribute, message: `extension ${REMOTE_NAME}: a name of 1 to 50 characters (it defaults to ${REMOTE_DEST})` };
  }
  return { dest, name: typeof name === "string" ? name : dest };
}

/** The seed's rule: in service only while JTAPI says so and the terminal is extended, by us, to the owner's destination. */
export function remoteInService(r: RemoteState, linkUp: boolean, switchInService: boolean): boolean {
  return linkUp && switchInService && r.owner !== null && r.mine && r.active?.number === r.dest;
}

/** The switch state the owner wants is there. */
export function extendedAsAsked(r: RemoteState): boolean {
  return r.owner !== null && r.mine && r.active?.number === r.dest;
}

/** The extensions of EventDNBackInService (and EventHardwareError) of a remote terminal. */
export function remoteExtensions(dest: string, name: string): Record<string, string> {
  return { [REMOTE_DEST]: dest, [REMOTE_NAME]: name };
}

/**
 * What the DN's clients should hear now: EventDNBackInService with the extensions when the terminal is in
 * service and they were told something else (or `force`: an activation always ends with an answer),
 * EventDNOutOfService when it stopped being in service. Nothing while a change settles.
 */
export function serviceAnnouncement(r: RemoteState, inService: boolean, force: boolean): { event: "EventDNBackInService" | "EventDNOutOfService"; extensions?: Record<string, string>; announced: RemoteState["announced"] } | null {
  if (r.settling) return null;
  if (inService) {
    const same = r.announced && r.announced.dest === r.dest && r.announced.name === r.name;
    if (same && !force) return null;
    return { event: "EventDNBackInService", extensions: remoteExtensions(r.dest, r.name), announced: { dest: r.dest, name: r.name } };
  }
  if (!r.announced) return null;
  return { event: "EventDNOutOfService", announced: null };
}

/** Call requests a remote terminal refuses (B.2 (4)); null when the request may go on. */
export function refuseOnRemoteTerminal(request: string, inService: boolean): { code: number; message: string } | null {
  if (request === "RequestAnswerCall") return { code: ErrorCode.UnsupportedOperation, message: "a remote terminal's call is answered at the remote destination (the mobile), not by RequestAnswerCall" };
  if (!inService) return { code: ErrorCode.OutOfService, message: "the remote terminal is not extended to a remote destination: RequestRegisterAddress with REMOTE_DEST first" };
  return null;
}
