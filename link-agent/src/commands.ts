// Carries out the control plane's commands on the link that serves the DN, and reports each outcome
// as a `result` event in the one ordered stream. The result is enqueued the moment the switch's answer
// is read; the switch answers before it sends the events the request caused, so the result precedes
// them and the control plane can tie those events to the request.
import type { Logger } from "pino";
import { ErrorCode } from "../../shared/tlib.js";
import { MonitorType, PlayTone, type SwitchOp } from "../../shared/switch-link.js";
import { CommandOp, SiteCommand, type SwitchEvent } from "../../shared/uplink.js";
import type { SwitchAnswer, SwitchLinkClient } from "./switch-link-client.js";
import type { IncomingCommand } from "./uplink.js";

/**
 * How a failure reads as a T-Library errorCode. The switch fails requests with JTAPI's exception
 * classes (docs/switch-link.md); the agent adds its own two (Timeout, LinkDown). The switch's message
 * is kept in errorMessage, so "not talking at DN 1001" survives behind a plain 51.
 */
export const ERROR_CODES: Record<string, number> = {
  /** Unknown address, malformed request. */
  InvalidArgumentException: ErrorCode.InvalidAttribute, // 53
  /** Unallocated destination (also a route destination that does not exist). */
  InvalidPartyException: ErrorCode.TargetDNInvalid, // 177
  /** The call or connection is not in a state that allows it. */
  InvalidStateException: ErrorCode.UnsupportedOperation, // 51
  MethodNotSupportedException: ErrorCode.UnsupportedOperation, // 51
  /**
   * The application user does not control the device. Not 1016: in tliberr.h that is
   * TERR_ISCC_CLIENT_NOT_AUTHORIZED, an inter-site error. A device outside the user's control list never
   * comes into service for the T-Server, so it reads as out of service (jtapi-fidelity A8, [I] decided).
   */
  PrivilegeViolationException: ErrorCode.OutOfService, // 58
  /** Device out of service or line full; 231 when the message says busy (see errorCodeFor). */
  ResourceUnavailableException: ErrorCode.OutOfService, // 58
  PlatformException: ErrorCode.InternalError, // 52
  /** The switch did not answer within the request timeout. */
  Timeout: ErrorCode.Timeout, // 57
  /** No link is up for the DN. */
  LinkDown: ErrorCode.NoSwitchLink, // 54
};

/** Cisco's CTIERR_* names that read as a T-Library code of their own (jtapi-fidelity B.2 (4)). */
export const CISCO_ERROR_CODES: Record<string, number> = {
  CTIERR_INVALID_REMOTE_DESTINATION_NUMBER: ErrorCode.InvalidAttribute, // 53
  CTIERR_INVALID_REMOTE_DESTINATION_NAME: ErrorCode.InvalidAttribute, // 53
  CTIERR_DUPLICATE_REMOTE_DESTINATION_NUMBER: ErrorCode.InvalidAttribute, // 53
  CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED: ErrorCode.ResourceSeized, // 42
  CTIERR_REMOTE_DEVICE_REQUEST_FAILED_ACTIVE_RD_NOT_SET: ErrorCode.OutOfService, // 58: the remote terminal is not extended
  CTIERR_BIB_RESOURCE_NOT_AVAILABLE: ErrorCode.OutOfService, // 58
};

export function errorCodeFor(exception: string, message: string, errorName?: string, op?: CommandOp): number {
  if (errorName && CISCO_ERROR_CODES[errorName] !== undefined) return CISCO_ERROR_CODES[errorName]!;
  // a remote terminal out of service is a state error of the device, not of a call (jtapi-fidelity B.2 (4))
  if (op === "setRemoteDestination" && exception === "InvalidStateException") return ErrorCode.OutOfService;
  if (op === "setRemoteDestination" && exception === "InvalidArgumentException") return ErrorCode.InvalidAttribute;
  if (op === "setRemoteDestination" && !(exception in ERROR_CODES)) return ErrorCode.InternalError;
  if (exception === "ResourceUnavailableException" && /busy/i.test(message)) return ErrorCode.DNBusy;
  return ERROR_CODES[exception] ?? ErrorCode.Unknown;
}

/** Longest errorMessage forwarded: a switch's message is for people, not a payload. */
const MAX_MESSAGE = 500;

type Attribute = "callId" | "otherDN" | "consultCallId" | "active";
type Complete = SiteCommand & Record<Exclude<Attribute, "active">, string> & { active: boolean };

/** What each command becomes on the switch (docs/switch-link.md names the JTAPI call), and what it needs. */
const SWITCH_OPS: { [K in CommandOp]: { needs: Attribute[]; op: (c: Complete) => SwitchOp } } = {
  makeCall: { needs: ["otherDN"], op: (c) => ({ op: "makeCall", from: c.dn, to: c.otherDN }) },
  answer: { needs: ["callId"], op: (c) => ({ op: "answer", callId: c.callId, address: c.dn }) },
  release: { needs: ["callId"], op: (c) => ({ op: "disconnect", callId: c.callId, address: c.dn }) },
  hold: { needs: ["callId"], op: (c) => ({ op: "hold", callId: c.callId, address: c.dn }) },
  retrieve: { needs: ["callId"], op: (c) => ({ op: "unhold", callId: c.callId, address: c.dn }) },
  // a route point routes by redirecting its offered connection: the call survives a refused destination (docs/switch-link.md)
  routeCall: { needs: ["callId", "otherDN"], op: (c) => ({ op: "redirect", callId: c.callId, address: c.dn, destination: c.otherDN }) },
  initiateTransfer: { needs: ["callId", "otherDN"], op: (c) => ({ op: "consult", callId: c.callId, address: c.dn, destination: c.otherDN }) },
  completeTransfer: { needs: ["callId", "consultCallId"], op: (c) => ({ op: "transfer", callId: c.callId, consultCallId: c.consultCallId, address: c.dn }) },
  singleStepTransfer: { needs: ["callId", "otherDN"], op: (c) => ({ op: "singleStepTransfer", callId: c.callId, address: c.dn, destination: c.otherDN }) },
  initiateConference: { needs: ["callId", "otherDN"], op: (c) => ({ op: "consult", callId: c.callId, address: c.dn, destination: c.otherDN, conference: true }) },
  completeConference: { needs: ["callId", "consultCallId"], op: (c) => ({ op: "conference", callId: c.callId, consultCallId: c.consultCallId, address: c.dn }) },
  deleteFromConference: { needs: ["callId", "otherDN"], op: (c) => ({ op: "dropParty", callId: c.callId, address: c.dn, party: c.otherDN }) },
  // CiscoCall.startMonitor(..., monitorType, CiscoCall.PLAYTONE_NOLOCAL_OR_REMOTE): a silent monitor plays no tone
  startMonitor: { needs: ["callId", "otherDN"], op: (c) => ({ op: "startMonitor", callId: c.callId, address: c.dn, monitor: c.otherDN, monitorType: c.monitorType === MonitorType.WHISPER ? MonitorType.WHISPER : MonitorType.SILENT, tone: PlayTone.NOLOCAL_OR_REMOTE }) },
  // extend and connect: otherDN is the remote destination's number (CiscoRemoteTerminal, jtapi-fidelity B.2 (2))
  setRemoteDestination: { needs: ["otherDN", "active"], op: (c) => ({ op: "setRemoteDestination", address: c.dn, number: c.otherDN, ...(c.name !== undefined ? { name: c.name } : {}), active: c.active }) },
  alternate: { needs: ["callId", "consultCallId"], op: (c) => ({ op: "alternate", callId: c.callId, activeCallId: c.consultCallId, address: c.dn }) },
  reconnect: { needs: ["callId", "consultCallId"], op: (c) => ({ op: "reconnect", callId: c.callId, consultCallId: c.consultCallId, address: c.dn }) },
  redirect: { needs: ["callId", "otherDN"], op: (c) => ({ op: "redirect", callId: c.callId, address: c.dn, destination: c.otherDN }) },
  clearCall: { needs: ["callId"], op: (c) => ({ op: "dropCall", callId: c.callId, address: c.dn }) },
  singleStepConference: { needs: ["callId", "otherDN"], op: (c) => ({ op: "addParty", callId: c.callId, address: c.dn, destination: c.otherDN }) },
};

/** The switch request a command becomes, or the attribute it lacks. */
export function toSwitchOp(c: SiteCommand): SwitchOp | { missing: Attribute } {
  const spec = SWITCH_OPS[c.op];
  const missing = spec.needs.find((a) => (a === "active" ? typeof c.active !== "boolean" : !c[a]));
  return missing ? { missing } : spec.op(c as Complete);
}

export interface CommandDeps {
  /** The link client that serves a DN, if one lists it. */
  linkFor(dn: string): SwitchLinkClient | undefined;
  emit(event: SwitchEvent): void;
  /** The switch accepted `op` on `link` with `result`: told before the events it caused are read (the normalizer needs it). */
  accepted?(link: string, op: SwitchOp, result: Record<string, unknown>): void;
  now(): string;
  log: Logger;
}

type Result = Extract<SwitchEvent, { kind: "result" }>;

export class CommandRunner {
  constructor(private readonly deps: CommandDeps) {}

  run(incoming: IncomingCommand): void {
    const { id, dn } = incoming;
    const fail = (code: number, message: string) => this.result({ kind: "result", time: this.deps.now(), dn, commandId: id, ok: false, errorCode: code, errorMessage: message.slice(0, MAX_MESSAGE) });
    const parsed = SiteCommand.safeParse(incoming);
    if (!parsed.success) {
      if (!CommandOp.safeParse(incoming.op).success) return fail(ErrorCode.UnsupportedOperation, `unsupported operation ${JSON.stringify(incoming.op)}: this agent carries out ${CommandOp.options.join(", ")}`);
      const issue = parsed.error.issues[0];
      return fail(ErrorCode.InvalidAttribute, `invalid command: ${issue?.path.join(".")}: ${issue?.message}`);
    }
    const command = parsed.data;
    const op = toSwitchOp(command);
    if ("missing" in op) return fail(ErrorCode.InvalidAttribute, `${command.op} needs ${op.missing}`);
    const link = this.deps.linkFor(dn);
    if (!link) return fail(ErrorCode.NoSwitchLink, `no switch link serves DN ${dn}`);
    if (!link.isUp) return fail(ErrorCode.NoSwitchLink, `${link.name}, which serves DN ${dn}, is down`);
    this.deps.log.debug({ commandId: id, op: command.op, dn, link: link.name }, "command sent to the switch");
    // the answer callback runs synchronously as the answer frame is read: ahead of the events it caused
    link.requestThen(op, (answer) => {
      if (answer.ok) this.deps.accepted?.(link.name, op, answer.result);
      this.answered(command, answer);
    });
  }

  private answered(command: SiteCommand, answer: SwitchAnswer): void {
    const base = { kind: "result" as const, time: this.deps.now(), dn: command.dn, commandId: command.id };
    if (answer.ok) {
      // callId is the call the switch named (a new call: makeCall, consult), which the control plane waits for
      const callId = answer.result.callId;
      return this.result({ ...base, ok: true, ...(typeof callId === "string" && callId ? { callId } : {}) });
    }
    const { exception, message } = answer.error;
    const errorName = "errorName" in answer.error ? answer.error.errorName : undefined;
    const text = errorName ? `${exception} (${errorName}): ${message}` : `${exception}: ${message}`;
    this.result({ ...base, ok: false, errorCode: errorCodeFor(exception, message, errorName, command.op), errorMessage: text.slice(0, MAX_MESSAGE) });
  }

  private result(event: Result): void {
    if (!event.ok) this.deps.log.info({ commandId: event.commandId, dn: event.dn, errorCode: event.errorCode, errorMessage: event.errorMessage }, "command failed");
    this.deps.emit(event);
  }
}
