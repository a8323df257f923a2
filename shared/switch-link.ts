// The switch link: framed JSON between the link agent and the CTIManager side (the simulator here, a
// bridge around Cisco's JTAPI library in production). docs/switch-link.md is the full specification;
// these schemas are its machine-checked form. Vocabulary is JTAPI's: event ids are JTAPI class names.
import { z } from "zod";

export const SWITCH_LINK_PROTOCOL = 1;
/** Largest frame either side accepts (bytes of JSON after the 4-byte length prefix). */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const DeviceKinds = ["phone", "ctiPort", "routePoint", "remoteTerminal"] as const;
export type DeviceKind = (typeof DeviceKinds)[number];

/** JTAPI Connection states (javax.telephony.Connection + CallControlConnection). */
export const ConnectionStates = [
  "IDLE", "INITIATED", "DIALING", "NETWORK_REACHED", "NETWORK_ALERTING", "OFFERED", "ALERTING",
  "ESTABLISHED", "QUEUED", "DISCONNECTED", "FAILED", "UNKNOWN",
] as const;
/** JTAPI TerminalConnection states (CallControlTerminalConnection). */
export const TerminalConnectionStates = ["IDLE", "RINGING", "TALKING", "HELD", "BRIDGED", "INUSE", "DROPPED", "UNKNOWN"] as const;

/** CiscoAddress.getType() (JAR): where an address of a connection is, as the provider sees it. */
export const AddressType = {
  INTERNAL: 1,
  EXTERNAL: 2,
  EXTERNAL_UNKNOWN: 3,
  /** The monitored agent's connection in a monitor call (CiscoAddress.MONITORING_TARGET, JDG MSC p.1593). */
  MONITORING_TARGET: 5,
} as const;

/** CiscoCall monitor types and tone directions (JAR; there is no PLAYTONE_NONE). */
export const MonitorType = { SILENT: 1, WHISPER: 2 } as const;
export const PlayTone = { LOCALONLY: 0, REMOTEONLY: 1, BOTHLOCALANDREMOTE: 2, NOLOCAL_OR_REMOTE: 3 } as const;

/** Ev.getCause() values used on the link (JTAPI Ev.CAUSE_* and CallControlEv.CAUSE_*). */
export const JtapiCause = {
  NORMAL: 100,
  UNKNOWN: 101,
  CALL_CANCELLED: 102,
  DEST_NOT_OBTAINABLE: 103,
  RESOURCES_NOT_AVAILABLE: 107,
  NETWORK_NOT_OBTAINABLE: 109,
  SNAPSHOT: 110,
  BUSY: 203,
  CALL_NOT_ANSWERED: 205,
  REDIRECTED: 210,
  TRANSFER: 212,
  CONFERENCE: 207,
  UNHOLD: 214,
} as const;

/** RouteSession.getCause() values, the `cause` of RouteEndEvent (javax.telephony.callcenter.RouteSession.CAUSE_*). */
export const RouteCause = {
  NORMAL: 100,
  ROUTING_TIMER_EXPIRED: 101,
  INVALID_DESTINATION: 103,
} as const;

/** CiscoOutOfServiceEv.CAUSE_* (the `oosCause` of Cisco*OutOfServiceEv). */
export const OutOfServiceCause = {
  CALLMANAGER_FAILURE: 1001,
  DEVICE_UNREGISTERED: 1005,
  CTIMANAGER_FAILURE: 1007,
} as const;

/** Ev.getMetaCode() values (javax.telephony.events.Ev.META_*): which higher-level change an event belongs to. */
export const JtapiMeta = {
  CALL_STARTING: 128,
  CALL_PROGRESS: 129,
  CALL_ADDITIONAL_PARTY: 130,
  CALL_REMOVING_PARTY: 131,
  CALL_ENDING: 132,
  CALL_MERGING: 133,
  CALL_TRANSFERRING: 134,
  SNAPSHOT: 135,
  UNKNOWN: 136,
} as const;

const dn = z.string().min(1).max(32).regex(/^[0-9A-Za-z*#+._-]+$/);

// ---- agent -> switch ----
export const Hello = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  user: z.string().min(1),
  password: z.string(),
  application: z.string().default("tserver"),
  link: z.string().default("link-1"),
  instanceId: z.string().optional(),
});
export type Hello = z.infer<typeof Hello>;

export const SwitchOp = z.discriminatedUnion("op", [
  z.object({ op: z.literal("snapshot") }),
  z.object({ op: z.literal("makeCall"), from: dn, to: dn }),
  z.object({ op: z.literal("answer"), callId: z.string(), address: dn }),
  z.object({ op: z.literal("disconnect"), callId: z.string(), address: dn }),
  z.object({ op: z.literal("hold"), callId: z.string(), address: dn }),
  z.object({ op: z.literal("unhold"), callId: z.string(), address: dn }),
  /** Two-step transfer, first step: holds the call and places a consult call (CallControlCall.consult). */
  /** `conference`: the first step of a conference (RequestInitiateConference): setConferenceEnable(true) on the new call first, which Cisco's CallImpl sets up as a conference consult instead of a transfer consult. */
  z.object({ op: z.literal("consult"), callId: z.string(), address: dn, destination: dn, conference: z.boolean().optional() }),
  /** Two-step transfer, second step: joins the consult call's party to the held call and drops the controller (CallControlCall.transfer(Call)). */
  z.object({ op: z.literal("transfer"), callId: z.string(), consultCallId: z.string(), address: dn }),
  /** Second step of a conference: joins the consult call's party to the held call, which the controller retrieves (CallControlCall.conference(Call)). */
  z.object({ op: z.literal("conference"), callId: z.string(), consultCallId: z.string(), address: dn }),
  /** A conference controller drops a party (the party's Connection.disconnect()). */
  z.object({ op: z.literal("dropParty"), callId: z.string(), address: dn, party: dn }),
  /** Blind transfer: the controller leaves, the destination is offered the call (CallControlCall.transfer(String)). */
  z.object({ op: z.literal("singleStepTransfer"), callId: z.string(), address: dn, destination: dn }),
  /** Holds the DN's active call and retrieves `callId` (held), in one step. */
  z.object({ op: z.literal("alternate"), callId: z.string(), activeCallId: z.string(), address: dn }),
  /** Drops the DN from the consult call `consultCallId` and retrieves the held call `callId`. */
  z.object({ op: z.literal("reconnect"), callId: z.string(), consultCallId: z.string(), address: dn }),
  /** Sends a call ringing at `address`, or offered to the route point `address`, on to `destination` (CallControlConnection.redirect); routes a route point's call. */
  z.object({ op: z.literal("redirect"), callId: z.string(), address: dn, destination: dn }),
  /** RequestClearCall: the whole call is dropped, every party released (CallControlCall.drop()). */
  z.object({ op: z.literal("dropCall"), callId: z.string(), address: dn }),
  /** RequestSingleStepConference: `destination` is offered the call as one more party (CallControlCall.addParty(String)). */
  z.object({ op: z.literal("addParty"), callId: z.string(), address: dn, destination: dn }),
  /**
   * Silent monitoring: `monitor` (a CTI port, say) listens to `address`'s call `callId` through the phone's built-in bridge.
   * `((CiscoCall) provider.createCall()).startMonitor(monitorTerminal, monitorAddress, agentTC, monitorType, tone)`; result `{callId}` of that new call.
   */
  z.object({
    op: z.literal("startMonitor"),
    callId: z.string(),
    address: dn,
    monitor: dn,
    monitorType: z.union([z.literal(MonitorType.SILENT), z.literal(MonitorType.WHISPER)]).default(MonitorType.SILENT),
    tone: z.number().int().min(0).max(3).default(PlayTone.NOLOCAL_OR_REMOTE),
  }),
  /**
   * Extend and connect: makes `number` the remote terminal `address`'s active remote destination (active true),
   * or not (false). CiscoRemoteTerminal addRemoteDestination / updateRemoteDestination / setActiveRemoteDestination.
   */
  z.object({ op: z.literal("setRemoteDestination"), address: dn, number: z.string().min(1).max(32), name: z.string().max(64).optional(), active: z.boolean() }),
]);
export type SwitchOp = z.infer<typeof SwitchOp>;

export const SwitchRequest = z.object({ type: z.literal("request"), id: z.number().int().nonnegative() }).and(SwitchOp);
export type SwitchRequest = z.infer<typeof SwitchRequest>;

export const Ping = z.object({ type: z.literal("ping") });
export const Pong = z.object({ type: z.literal("pong") });

export const AgentToSwitch = z.union([Hello, SwitchRequest, Ping, Pong]);
export type AgentToSwitch = z.infer<typeof AgentToSwitch>;

// ---- switch -> agent ----
export const Welcome = z.object({
  type: z.literal("welcome"),
  protocol: z.number().int(),
  cluster: z.string(),
  provider: z.enum(["IN_SERVICE", "OUT_OF_SERVICE"]),
  time: z.string(),
});
export type Welcome = z.infer<typeof Welcome>;

/** JTAPI exception class names a request can fail with. */
export const JtapiExceptions = [
  "InvalidArgumentException",
  "InvalidPartyException",
  "InvalidStateException",
  "MethodNotSupportedException",
  "PrivilegeViolationException",
  "ResourceUnavailableException",
  "PlatformException",
] as const;
export type JtapiException = (typeof JtapiExceptions)[number];

export const SwitchError = z.object({
  exception: z.enum(JtapiExceptions),
  message: z.string(),
  /** Cisco's CTI error code when the bridge has one (CiscoJtapiException.getErrorCode()). */
  errorCode: z.number().int().optional(),
  /** Cisco's name of that code (CiscoJtapiException.getErrorName()), e.g. CTIERR_BIB_RESOURCE_NOT_AVAILABLE. */
  errorName: z.string().max(100).optional(),
});
export type SwitchError = z.infer<typeof SwitchError>;

/** CiscoRemoteDestinationInfo: getRemoteDestinationNumber(), getRemoteDestinationName(), getIsActiveRD(). */
export const RemoteDestinationInfo = z.object({ number: z.string(), name: z.string(), active: z.boolean() });
export type RemoteDestinationInfo = z.infer<typeof RemoteDestinationInfo>;

export const SnapshotAddress = z.object({
  address: dn,
  terminal: z.string(),
  kind: z.enum(DeviceKinds),
  inService: z.boolean(),
  terminalInService: z.boolean(),
  /** Remote terminals: getAllRemoteDestinations() and isMyAppLastToSetActiveRD(). */
  remoteDestinations: z.array(RemoteDestinationInfo).optional(),
  myAppLastToSetActiveRD: z.boolean().optional(),
});
export type SnapshotAddress = z.infer<typeof SnapshotAddress>;

export const SnapshotConnection = z.object({
  address: dn,
  state: z.enum(ConnectionStates),
  /** Absent for a party outside this cluster (reached over a trunk). */
  terminalState: z.enum(TerminalConnectionStates).optional(),
  /** CiscoAddress.getType() when it is not INTERNAL/EXTERNAL as usual: 5 for the agent's leg of a monitor call. */
  addressType: z.number().int().optional(),
});
export const SnapshotCall = z.object({
  callId: z.string(),
  callingAddress: z.string().nullable(),
  calledAddress: z.string().nullable(),
  connections: z.array(SnapshotConnection),
});
export type SnapshotCall = z.infer<typeof SnapshotCall>;

export const Snapshot = z.object({ addresses: z.array(SnapshotAddress), calls: z.array(SnapshotCall) });
export type Snapshot = z.infer<typeof Snapshot>;

export const SwitchResponse = z.union([
  /** `more`: a page of a result too large for one frame; the next frame with this id continues it (docs/switch-link.md). */
  z.object({ type: z.literal("response"), id: z.number().int(), ok: z.literal(true), result: z.record(z.string(), z.any()).default({}), more: z.boolean().optional() }),
  z.object({ type: z.literal("response"), id: z.number().int(), ok: z.literal(false), error: SwitchError }),
]);
export type SwitchResponse = z.infer<typeof SwitchResponse>;

/** One JTAPI event. `id` is the JTAPI event interface's name (CallCtlConnDialingEv, ...). */
export const JtapiEvent = z.object({
  id: z.string(),
  cause: z.number().int().default(JtapiCause.NORMAL),
  callId: z.string().optional(),
  address: z.string().optional(),
  terminal: z.string().optional(),
  callingAddress: z.string().nullable().optional(),
  calledAddress: z.string().nullable().optional(),
  lastRedirectedAddress: z.string().nullable().optional(),
  /** CiscoTransferStartEv/EndEv: the consult call merged into this one (absent for a blind transfer). */
  transferredCallId: z.string().optional(),
  /** Conn* and CallCtlConn* events: CiscoAddress.getType() of the connection's address (AddressType). */
  addressType: z.number().int().optional(),
  /** CiscoTermConnMonitoringStartEv (getMonitorType(), getToneDirection()). */
  monitorType: z.number().int().optional(),
  toneDirection: z.number().int().optional(),
  /**
   * CiscoTermConnMonitoringStartEv: the monitor call. Not a JTAPI accessor: the bridge's own correlation, taken
   * from the Connection[] its startMonitor call returned; absent when the monitor was started elsewhere.
   */
  monitorCallId: z.string().optional(),
  /** CiscoTermConnMonitorInitiatorInfoEv: getMonitorInitiatorInfo() address, terminal and the address's type. */
  initiatorAddress: z.string().optional(),
  initiatorTerminal: z.string().optional(),
  initiatorAddressType: z.number().int().optional(),
  /** CiscoTermConnMonitorTargetInfoEv: getMonitorTargetInfo() address and terminal. */
  targetAddress: z.string().optional(),
  targetTerminal: z.string().optional(),
  /** CiscoProvTerminalRemoteDestinationChangedEv: getRemoteDestinations(), isMyAppLastToSetActiveRD() (per provider). */
  remoteDestinations: z.array(RemoteDestinationInfo).optional(),
  myAppLastToSetActiveRD: z.boolean().optional(),
  /** RouteUsedEv: the destination the call was routed to. */
  routeUsed: z.string().optional(),
  /** Cisco*OutOfServiceEv: CiscoOutOfServiceEv.getCause() (OutOfServiceCause). */
  oosCause: z.number().int().optional(),
  /** Ev.getMetaCode() (JtapiMeta), when the bridge gives it: META_CALL_TRANSFERRING / META_CALL_MERGING mark the moves of a transfer or conference. */
  metaCode: z.number().int().optional(),
  time: z.string(),
});
export type JtapiEvent = z.infer<typeof JtapiEvent>;

/** A batch of events the switch delivered together (JTAPI's CallEv[] of one observer callback). */
export const EventBatch = z.object({ type: z.literal("events"), events: z.array(JtapiEvent) });
export type EventBatch = z.infer<typeof EventBatch>;

export const Fatal = z.object({ type: z.literal("error"), message: z.string() });

export const SwitchToAgent = z.union([Welcome, SwitchResponse, EventBatch, Fatal, Ping, Pong]);
export type SwitchToAgent = z.infer<typeof SwitchToAgent>;
