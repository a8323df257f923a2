// The client API's shapes (docs: ../docs/client-api.md in the repo, served as /v1/openapi.json).
import { z } from "zod";
import { RequestNames, type EventName } from "./tlib.js";

/** A key-value list of T-Library (extensions, reasons, userData): JSON object of strings, numbers, nested lists. */
export const KVList = z.record(z.string().max(256), z.any());

export const ClientRequest = z.object({
  sessionId: z.string().min(1).max(64),
  request: z.enum(RequestNames),
  referenceID: z.number().int().positive().max(2 ** 31 - 1).optional(),
  thisDN: z.string().min(1).max(32).regex(/^[0-9A-Za-z*#+._-]+$/, "a DN is digits, letters or *#+._-").optional(),
  otherDN: z.string().min(1).max(64).optional(),
  connID: z.string().regex(/^[0-9a-f]{16}$/, "connID is 16 lower-case hex digits").optional(),
  transferConnID: z.string().regex(/^[0-9a-f]{16}$/, "transferConnID is 16 lower-case hex digits").optional(),
  location: z.string().max(64).optional(),
  agentID: z.string().max(64).optional(),
  agentWorkMode: z.number().int().min(0).max(7).optional(),
  registerMode: z.number().int().min(0).max(2).optional(),
  /** RequestMonitorNextCall: 0 MonitorOneCall (the only one served), 1 MonitorAllCalls (refused with 51). */
  monitorNextCallType: z.number().int().min(0).max(1).optional(),
  extensions: KVList.optional(),
  reasons: KVList.optional(),
  userData: KVList.optional(),
}).strict();
export type ClientRequest = z.infer<typeof ClientRequest>;

/** One T-Library event as the API sends it: name, per-session seq, site, time, then attributes. */
export interface TEvent {
  event: EventName;
  seq?: number;
  site?: string;
  time?: string;
  referenceID?: number;
  thisDN?: string;
  otherDN?: string;
  connID?: string;
  previousConnID?: string;
  transferConnID?: string;
  thisDNRole?: number;
  otherDNRole?: number;
  callType?: number;
  callState?: number;
  errorCode?: number;
  errorMessage?: string;
  agentID?: string;
  agentWorkMode?: number;
  addressStatus?: number;
  extensions?: Record<string, string | number | boolean | null>;
  reasons?: Record<string, string | number | boolean | null>;
  userData?: Record<string, string | number | boolean | null>;
  [attribute: string]: string | number | boolean | null | undefined | Record<string, string | number | boolean | null> | Array<Record<string, string | number | boolean | null>>;
}

export interface RequestAnswer {
  referenceID: number;
  event: TEvent;
}

export const TenantName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and -, up to 63");
export const SiteName = TenantName;

export const KeyRequest = z.discriminatedUnion("role", [
  z.object({ role: z.literal("client") }).strict(),
  z.object({ role: z.literal("config") }).strict(),
  z.object({ role: z.literal("link"), site: SiteName }).strict(),
]);
export type KeyRequest = z.infer<typeof KeyRequest>;

export const DnObject = z.object({
  type: z.enum(["Extension", "ACDPosition", "RoutingPoint"]),
  switchSpecificType: z.number().int().min(0).max(65535).optional(),
  annex: z.record(z.string().min(1).max(64), z.record(z.string().min(1).max(128), z.string().max(1024))).optional(),
}).strict();
export type DnObject = z.infer<typeof DnObject>;

export const OptionSection = z.record(z.string().min(1).max(128), z.string().max(4096));
