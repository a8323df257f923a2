// Shapes of the API's answers, in zod, next to the request schemas of shared/client-api.ts that the routes
// validate with. /v1/openapi.json is generated from both (routes/openapi.ts), so the description cannot
// drift from what the worker checks.
import { z } from "zod";
import { DnObject, SiteName, TenantName } from "../../shared/client-api.js";

/** Every error answer of the API carries `error`, a sentence a person can act on. */
export const ErrorBody = z.object({
  error: z.string().describe("what is wrong, and what to do about it"),
  errors: z.array(z.string()).optional().describe("every problem found, when there are several (options, annex)"),
});

/** One T-Library event as the API sends it (attributes by the names in tlibrary.md). */
export const Event = z.object({
  event: z.string().describe("T-Library event name, e.g. EventEstablished"),
  seq: z.number().int().positive().optional().describe("per session, from 1, no gaps (stream only)"),
  site: z.string().optional(),
  time: z.string().optional().describe("ISO 8601 with milliseconds"),
  referenceID: z.number().int().optional().describe("the answered request's referenceID"),
  thisDN: z.string().optional(),
  otherDN: z.string().optional(),
  connID: z.string().optional(),
  previousConnID: z.string().optional(),
  transferConnID: z.string().optional(),
  thisDNRole: z.number().int().optional(),
  otherDNRole: z.number().int().optional(),
  callType: z.number().int().optional(),
  callState: z.number().int().optional(),
  errorCode: z.number().int().optional(),
  errorMessage: z.string().optional(),
  agentID: z.string().optional(),
  agentWorkMode: z.number().int().optional(),
  addressStatus: z.number().int().optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
  reasons: z.record(z.string(), z.unknown()).optional(),
  userData: z.record(z.string(), z.unknown()).optional(),
}).catchall(z.unknown());

export const RequestAnswer = z.object({
  referenceID: z.number().int().describe("the request's referenceID, given or assigned"),
  event: Event,
});

/** A request refused before or by the switch: the answering EventError, with `error` as every error body. */
export const RequestError = z.object({
  error: z.string().describe("the EventError's errorMessage"),
  referenceID: z.number().int().optional(),
  event: Event,
});

export const TenantCreated = z.object({ tenant: TenantName });
export const SiteCreated = z.object({ tenant: TenantName, site: SiteName });
export const KeyIssued = z.object({
  id: z.string(),
  key: z.string().describe("<tenant>.<id>.<secret>; shown once"),
  role: z.enum(["client", "config", "link"]),
  site: SiteName.optional(),
});
export const KeyList = z.object({
  keys: z.array(z.object({ id: z.string(), role: z.string(), site: z.string().nullable(), created: z.string() })),
});

export const SessionCreated = z.object({
  sessionId: z.string(),
  events: z.string().describe("path of the event stream (WebSocket)"),
});
export const SessionInfo = z.object({
  sessionId: z.string(),
  registrations: z.array(z.object({ site: z.string(), dn: z.string() })),
});

export const SiteStatus = z.object({
  site: z.string(),
  linkUp: z.boolean().describe("the active agent has at least one link up"),
  activeAgent: z.string().nullable(),
  agents: z.array(z.object({
    agentId: z.string(),
    role: z.string(),
    active: z.boolean(),
    links: z.record(z.string(), z.boolean()).describe("link name -> up"),
  })),
});

export const Options = z.record(z.string(), z.string()).describe("a section's options; secrets read as ********");

/** What GET answers and PUT accepts: a DN object with its number (PUT ignores a number equal to the path's). */
export const DnObjectWithNumber = DnObject.extend({ number: z.string().optional().describe("the path's number; optional on PUT") })
  ;
export const DnList = z.object({ dns: z.array(DnObjectWithNumber), next: z.string().nullable().optional().describe("with ?limit=: the number to pass as ?after= for the next page") });

export const Health = z.object({
  status: z.literal("ok"),
  program: z.string(),
  time: z.string(),
});
