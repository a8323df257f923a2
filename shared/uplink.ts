// The uplink: one WebSocket from a link agent to its site's Durable Object (GET /v1/sites/<site>/link).
// Switch-neutral: the agent has already turned JTAPI's per-connection events into per-DN facts.
// docs/uplink.md is the full specification.
import { z } from "zod";

export const UPLINK_PROTOCOL = 1;
/** Largest WebSocket message either side sends; batches are cut below it. */
export const MAX_UPLINK_MESSAGE_BYTES = 512 * 1024;

const dn = z.string().min(1).max(32);
const callId = z.string().min(1).max(64);
const time = z.string();
const callType = z.number().int().min(0).max(4);

export const CallPhase = z.enum(["dialing", "ringing", "established", "held"]);
export type CallPhase = z.infer<typeof CallPhase>;

/** A remote destination of a CiscoRemoteTerminal (extend and connect). */
export const RemoteDestination = z.object({ number: z.string().min(1).max(32), name: z.string().max(64) });
export type RemoteDestination = z.infer<typeof RemoteDestination>;

export const SnapshotDn = z.object({
  dn,
  kind: z.enum(["phone", "ctiPort", "routePoint", "remoteTerminal"]),
  inService: z.boolean(),
  /** Remote terminals only: the active remote destination, whether this provider set it last, and all configured ones. */
  remote: z
    .object({ active: RemoteDestination.nullable(), mine: z.boolean(), all: z.array(RemoteDestination) })
    .optional(),
  calls: z.array(
    z.object({
      callId,
      phase: CallPhase,
      otherDN: z.string().optional(),
      role: z.number().int(),
      callType,
    }),
  ),
});
export type SnapshotDn = z.infer<typeof SnapshotDn>;

/** A normalized switch event. Every one but `link` and `snapshot` concerns exactly one DN. */
export const SwitchEvent = z.discriminatedUnion("kind", [
  /** A link of the agent to the switch came up or went down. */
  z.object({ kind: z.literal("link"), time, link: z.string(), up: z.boolean(), reason: z.string().optional() }),
  /** The complete switch state of the listed DNs: a listed DN has exactly these calls. A link's snapshot may come as several of these, one after the other (each below the message-size limit). */
  z.object({ kind: z.literal("snapshot"), time, dns: z.array(SnapshotDn) }),
  /** `oosCause`: CiscoOutOfServiceEv.CAUSE_* when the switch gave one (1001 CallManager failure ... 1007 CTIManager failure). */
  z.object({ kind: z.literal("service"), time, dn, inService: z.boolean(), oosCause: z.number().int().optional() }),
  z.object({ kind: z.literal("dialing"), time, dn, callId, otherDN: z.string().optional(), callType }),
  /** `dnis`: the number dialed when the call came through a route point (else the DNIS is this DN). */
  z.object({ kind: z.literal("ringing"), time, dn, callId, otherDN: z.string().optional(), callType, dnis: z.string().optional() }),
  z.object({ kind: z.literal("established"), time, dn, callId, otherDN: z.string().optional(), callType }),
  z.object({ kind: z.literal("held"), time, dn, callId }),
  z.object({ kind: z.literal("retrieved"), time, dn, callId }),
  z.object({ kind: z.literal("busy"), time, dn, callId, otherDN: z.string().optional() }),
  /** A call waits at this route point for a routing decision. */
  z.object({ kind: z.literal("routeRequest"), time, dn, callId, otherDN: z.string().optional(), dnis: z.string().optional(), callType }),
  /** The call left this route point for `otherDN`: routed by the application, or the switch's default route after the route select timer. */
  z.object({ kind: z.literal("routeUsed"), time, dn, callId, otherDN: z.string() }),
  z.object({ kind: z.literal("released"), time, dn, callId, cause: z.enum(["normal", "busy", "noAnswer", "failed", "transferred", "redirected", "conferenced"]) }),
  /** A conference: `otherDN` joined this DN's call (added by `thirdPartyDN`). */
  z.object({ kind: z.literal("partyAdded"), time, dn, callId, otherDN: z.string(), thirdPartyDN: z.string().optional(), observer: z.boolean().optional() }),
  /** Silent monitoring started: this DN listens, in its own call `callId` (the monitor call), to `otherDN`'s call `monitoredCallId`. */
  z.object({ kind: z.literal("monitorStarted"), time, dn, callId, otherDN: z.string(), monitoredCallId: callId.optional() }),
  /** On the monitored DN: an observer (`otherDN`, inside this cluster or reached over a trunk) was added to, moved within, or left its call `callId`. */
  z.object({
    kind: z.literal("observer"),
    time,
    dn,
    callId,
    otherDN: z.string(),
    addressType: z.enum(["internal", "external"]),
    change: z.enum(["added", "changed", "ended"]),
  }),
  /** Remote terminal: the switch's active remote destination (null: none) and whether this provider set it last. */
  z.object({ kind: z.literal("remoteDestination"), time, dn, active: RemoteDestination.nullable(), mine: z.boolean() }),
  /** `otherDN` left this DN's call, which goes on with the others. */
  z.object({ kind: z.literal("partyDeleted"), time, dn, callId, otherDN: z.string() }),
  /** After a transfer: this DN's call is now `callId` (it was `previousCallId` when it moved calls) and its other party is `otherDN`. `conferenced`: the move was a conference's (thirdPartyDN conferenced this DN in). */
  z.object({ kind: z.literal("partyChanged"), time, dn, callId, previousCallId: callId.optional(), otherDN: z.string().optional(), thirdPartyDN: z.string().optional(), conferenced: z.boolean().optional() }),
  /** The switch's answer to a command; placed in the stream before the events the command caused. */
  z.object({
    kind: z.literal("result"),
    time,
    dn,
    commandId: z.string(),
    ok: z.boolean(),
    callId: callId.optional(),
    errorCode: z.number().int().optional(),
    errorMessage: z.string().optional(),
  }),
]);
export type SwitchEvent = z.infer<typeof SwitchEvent>;
export type DnSwitchEvent = Exclude<SwitchEvent, { kind: "link" } | { kind: "snapshot" }>;

export const LinkState = z.object({ name: z.string(), up: z.boolean() });

// ---- agent -> control plane ----
export const AgentHello = z.object({
  t: z.literal("hello"),
  protocol: z.number().int(),
  agentId: z.string().min(1).max(64),
  /** Fresh for every run of the agent; sequence numbers count from 1 within a stream. */
  stream: z.string().min(1).max(64),
  role: z.enum(["primary", "backup"]),
  links: z.array(LinkState),
});
export type AgentHello = z.infer<typeof AgentHello>;

export const AgentEvents = z.object({
  t: z.literal("events"),
  /** Sequence number of the first event; the rest follow without gaps. */
  from: z.number().int().positive(),
  events: z.array(SwitchEvent).min(1),
});
export type AgentEvents = z.infer<typeof AgentEvents>;

export const AgentToSite = z.discriminatedUnion("t", [AgentHello, AgentEvents]);
export type AgentToSite = z.infer<typeof AgentToSite>;

// ---- control plane -> agent ----
export const CommandOp = z.enum(["makeCall", "answer", "release", "hold", "retrieve", "routeCall", "initiateTransfer", "completeTransfer", "singleStepTransfer", "alternate", "reconnect", "redirect", "initiateConference", "completeConference", "deleteFromConference", "startMonitor", "setRemoteDestination", "clearCall", "singleStepConference"]);
export type CommandOp = z.infer<typeof CommandOp>;

export const SiteCommand = z.object({
  t: z.literal("command"),
  id: z.string(),
  op: CommandOp,
  dn,
  callId: callId.optional(),
  /** completeTransfer, reconnect: the consult call; alternate: the active call to hold. */
  consultCallId: callId.optional(),
  otherDN: z.string().optional(),
  /** setRemoteDestination: the destination's name, and whether to activate (true) or deactivate it. */
  name: z.string().max(64).optional(),
  active: z.boolean().optional(),
  /** startMonitor: 1 silent (the only one the T-Server asks for), 2 whisper. */
  monitorType: z.number().int().optional(),
});
export type SiteCommand = z.infer<typeof SiteCommand>;

export const SiteToAgent = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("welcome"),
    protocol: z.number().int(),
    site: z.string(),
    active: z.boolean(),
    /** Highest sequence number of this stream already applied; resend everything after it. */
    resumeAfter: z.number().int().nonnegative(),
    /** The site's link options (sections link-tls and link-N), secrets included: the agent needs them. */
    options: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  }),
  /** The site's link options changed (all link sections, as they are now). */
  z.object({ t: z.literal("options"), options: z.record(z.string(), z.record(z.string(), z.string())) }),
  z.object({ t: z.literal("ack"), upTo: z.number().int().nonnegative() }),
  SiteCommand,
  /** This agent became the active (or standby) one of its site. */
  z.object({ t: z.literal("role"), active: z.boolean() }),
  /** Send a fresh snapshot: the control plane's view may be stale. */
  z.object({ t: z.literal("resync") }),
  z.object({ t: z.literal("error"), message: z.string() }),
]);
export type SiteToAgent = z.infer<typeof SiteToAgent>;
