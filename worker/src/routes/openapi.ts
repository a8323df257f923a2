// The API contract as OpenAPI 3.1 (served at /v1/openapi.json), generated from the zod schemas the routes
// validate with (shared/client-api.ts) and the answer shapes of ../api-schemas.ts. docs/client-api.md says
// the same in prose; test/docs/openapi.test.ts validates this document and checks that every route the
// docs name is in it, and worker/test/api-surface.test.ts that every route of the app is.
import { z } from "zod";
import { ClientRequest, DnObject, KeyRequest, OptionSection } from "../../../shared/client-api.js";
import * as S from "../api-schemas.js";

const registry = z.registry<{ id: string }>();
const components: Array<[z.ZodType, string]> = [
  [S.ErrorBody, "Error"], [S.Event, "Event"], [S.RequestAnswer, "RequestAnswer"], [S.RequestError, "RequestError"],
  [ClientRequest, "Request"], [KeyRequest, "KeyRequest"], [DnObject, "DnObjectInput"], [OptionSection, "OptionsInput"],
  [S.TenantCreated, "Tenant"], [S.SiteCreated, "Site"], [S.KeyIssued, "KeyIssued"], [S.KeyList, "KeyList"],
  [S.SessionCreated, "SessionCreated"], [S.SessionInfo, "SessionInfo"], [S.SiteStatus, "SiteStatus"],
  [S.Options, "Options"], [S.DnObjectWithNumber, "DnObject"], [S.DnList, "DnList"], [S.Health, "Health"],
];
for (const [schema, id] of components) registry.add(schema, { id });

function schemas(): Record<string, unknown> {
  const out = z.toJSONSchema(registry, { io: "input", unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(out.schemas)) {
    delete s.$schema;
    delete s.id;
    delete s.$id;
  }
  return out.schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { "application/json": { schema: ref(id) } } });
const err = (description: string) => json("Error", description);
const pathParam = (name: string, description: string) => ({ name, in: "path", required: true, description, schema: { type: "string" } });
const P = {
  tenant: pathParam("tenant", "tenant name"),
  site: pathParam("site", "site name (of the key's tenant)"),
  keyId: pathParam("id", "key id"),
  sessionId: pathParam("id", "session id"),
  section: pathParam("section", "options section: TServer, link-tls, link-1, link-2, ..."),
  number: pathParam("number", "DN number"),
};
const admin = [{ adminToken: [] }];
const tenantKey = [{ tenantKey: [] }];
const common = {
  401: err("no credential, or not a valid one"),
} as const;
const tenantErrors = { ...common, 403: err("the key's role does not allow this"), 404: err("no such site (or not the key's tenant's)") } as const;

interface Op {
  summary: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  description?: string;
}
const body = (id: string) => ({ required: true, content: { "application/json": { schema: ref(id) } } });

const paths: Record<string, Record<string, Op>> = {
  "/healthz": {
    get: { summary: "Liveness of the worker (no credential)", tags: ["Operations"], security: [], responses: { 200: json("Health", "the worker answers") } },
  },
  "/v1/openapi.json": {
    get: { summary: "This document", tags: ["Operations"], security: [], responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } } },
  },
  "/v1/docs": {
    get: { summary: "This document as a page", tags: ["Operations"], security: [], responses: { 200: { description: "HTML", content: { "text/html": { schema: { type: "string" } } } } } },
  },
  "/v1/tenants/{tenant}": {
    put: {
      summary: "Create a tenant (admin)", tags: ["Provisioning"], security: admin, parameters: [P.tenant],
      responses: { 200: json("Tenant", "exists already"), 201: json("Tenant", "created"), 400: err("bad tenant name"), ...common, 503: err("ADMIN_TOKEN is not configured") },
    },
  },
  "/v1/tenants/{tenant}/sites/{site}": {
    put: {
      summary: "Create a site (admin)", tags: ["Provisioning"], security: admin, parameters: [P.tenant, P.site],
      responses: { 200: json("Site", "exists already"), 201: json("Site", "created"), 400: err("bad site name"), ...common, 404: err("no such tenant"), 503: err("ADMIN_TOKEN is not configured") },
    },
  },
  "/v1/tenants/{tenant}/keys": {
    post: {
      summary: "Issue a key (admin); the key is shown once", tags: ["Provisioning"], security: admin, parameters: [P.tenant], requestBody: body("KeyRequest"),
      responses: { 201: json("KeyIssued", "the key"), 400: err("bad role or site"), ...common, 404: err("no such tenant or site"), 503: err("ADMIN_TOKEN is not configured") },
    },
    get: {
      summary: "List keys, without secrets (admin)", tags: ["Provisioning"], security: admin, parameters: [P.tenant],
      responses: { 200: json("KeyList", "the tenant's keys"), ...common, 404: err("no such tenant"), 503: err("ADMIN_TOKEN is not configured") },
    },
  },
  "/v1/tenants/{tenant}/keys/{id}": {
    delete: {
      summary: "Revoke a key (admin)", tags: ["Provisioning"], security: admin, parameters: [P.tenant, P.keyId],
      responses: { 204: { description: "revoked" }, ...common, 404: err("no such key"), 503: err("ADMIN_TOKEN is not configured") },
    },
  },
  "/v1/sessions": {
    post: {
      summary: "Open a client session (client key)", tags: ["Sessions"], security: tenantKey,
      responses: { 201: json("SessionCreated", "the session"), ...common, 403: err("not a client key") },
    },
  },
  "/v1/sessions/{id}": {
    get: {
      summary: "A session's registrations", tags: ["Sessions"], security: tenantKey, parameters: [P.sessionId],
      responses: { 200: json("SessionInfo", "the session"), ...common, 403: err("not a client key"), 404: err("no such session") },
    },
    delete: {
      summary: "End a session at once", tags: ["Sessions"], security: tenantKey, parameters: [P.sessionId],
      responses: { 204: { description: "ended" }, ...common, 403: err("not a client key"), 404: err("no such session") },
    },
  },
  "/v1/sessions/{id}/events": {
    get: {
      summary: "The session's event stream (WebSocket upgrade)",
      description: "Text frames of one Event or an array of Events, in order. `?after=<seq>` replays what followed. "
        + "Browsers, which cannot set headers on a WebSocket, offer the key as the subprotocol `bearer.<key>` next to `tserver` "
        + "(the answer's subprotocol is `tserver`), or, keeping it out of URLs less well, as `?access_token=`.",
      tags: ["Sessions"], security: [{ tenantKey: [] }, { accessToken: [] }],
      parameters: [P.sessionId, { name: "after", in: "query", required: false, description: "last seq seen", schema: { type: "integer", minimum: 0 } }],
      responses: { 101: { description: "WebSocket" }, ...common, 403: err("not a client key"), 404: err("no such session"), 426: err("not a WebSocket upgrade") },
    },
  },
  "/v1/sites/{site}": {
    get: {
      summary: "Site status: link agents and their links", tags: ["Sites"], security: tenantKey, parameters: [P.site],
      responses: { 200: json("SiteStatus", "the site"), ...tenantErrors },
    },
  },
  "/v1/sites/{site}/requests": {
    post: {
      summary: "A T-Library request; answered with its first outcome", tags: ["Requests"], security: tenantKey, parameters: [P.site],
      description: "Attributes by the names in tlibrary.md. The same events arrive on the session's stream.",
      requestBody: body("Request"),
      responses: {
        200: json("RequestAnswer", "the answering event"),
        400: json("RequestError", "malformed: EventError 53 naming the field"),
        401: err("no credential, or not a valid one"), 403: err("not a client key"),
        404: err("no such session or site; a missing session also carries the EventError"),
        405: err("only POST"),
        422: json("RequestError", "EventError with a T-Library errorCode"),
      },
    },
  },
  "/v1/sites/{site}/options/{section}": {
    get: {
      summary: "A section's options (config key); secrets read as ********", tags: ["Configuration"], security: tenantKey, parameters: [P.site, P.section],
      responses: { 200: json("Options", "the section, defaults filled in"), ...tenantErrors },
    },
    put: {
      summary: "Replace a section's options (config key)", tags: ["Configuration"], security: tenantKey, parameters: [P.site, P.section],
      description: "A secret given as ******** (as GET shows it) keeps its stored value.",
      requestBody: body("OptionsInput"),
      responses: { 200: json("Options", "stored"), 400: err("unknown option or bad value, named"), ...tenantErrors },
    },
  },
  "/v1/sites/{site}/dns": {
    get: {
      summary: "The site's DN objects (config key); ?limit= pages them, ?after= continues after a number", tags: ["Configuration"], security: tenantKey,
      parameters: [P.site, { name: "limit", in: "query", required: false, description: "page size, 1 to 10,000 (absent: all)", schema: { type: "integer", minimum: 1, maximum: 10000 } },
        { name: "after", in: "query", required: false, description: "the last number of the previous page", schema: { type: "string" } }],
      responses: { 200: json("DnList", "the DN objects (with `next` when paged and more follow)"), 400: err("bad limit"), ...tenantErrors },
    },
    put: {
      summary: "Create or replace up to 10,000 DN objects at once (bulk provisioning: one resync of the link agent)", tags: ["Configuration"], security: tenantKey, parameters: [P.site],
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["dns"], properties: { dns: { type: "array", minItems: 1, maxItems: 10000, items: ref("DnObject") } } } } } },
      responses: { 200: { description: "how many were created and replaced", content: { "application/json": { schema: { type: "object", properties: { created: { type: "integer" }, replaced: { type: "integer" } } } } } }, 400: err("a bad entry, named by its index and number"), ...tenantErrors },
    },
  },
  "/v1/sites/{site}/dns/{number}": {
    get: {
      summary: "A DN object", tags: ["Configuration"], security: tenantKey, parameters: [P.site, P.number],
      responses: { 200: json("DnObject", "the DN object, as PUT accepts it"), ...tenantErrors },
    },
    put: {
      summary: "Create or replace a DN object", tags: ["Configuration"], security: tenantKey, parameters: [P.site, P.number],
      requestBody: body("DnObject"),
      responses: { 200: json("DnObject", "replaced"), 201: json("DnObject", "created"), 400: err("bad DN object, named"), ...tenantErrors },
    },
    delete: {
      summary: "Delete a DN object", tags: ["Configuration"], security: tenantKey, parameters: [P.site, P.number],
      responses: { 204: { description: "deleted" }, ...tenantErrors },
    },
  },
  "/v1/sites/{site}/link": {
    get: {
      summary: "The link agent's WebSocket (link key of this site); protocol in docs/uplink.md", tags: ["Link agents"], security: tenantKey, parameters: [P.site],
      responses: { 101: { description: "WebSocket" }, ...tenantErrors, 426: err("not a WebSocket upgrade") },
    },
  },
};

// Every route that takes a credential counts it against the key's rate limits (docs/client-api.md "Rate limits")
const rateLimited = {
  description: "rate limit of this key exceeded, or too many failed authentications for it",
  headers: { "Retry-After": { description: "seconds until the window ends", schema: { type: "integer" } } },
  content: { "application/json": { schema: ref("Error") } },
};
for (const item of Object.values(paths)) for (const op of Object.values(item)) if (op.security?.length !== 0) op.responses[429] = rateLimited;

/** The document; `origin` (the request's) fills `servers`. */
export function openapiDocument(origin = "http://127.0.0.1:8787"): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "CUCM T-Server API",
      version: "1",
      description: "T-Library requests over HTTPS, T-Library events over a WebSocket per client session. "
        + "Every error answer carries `error`; answers to T-Library requests also carry the EventError.",
    },
    servers: [{ url: origin }],
    security: tenantKey,
    tags: ["Operations", "Provisioning", "Sessions", "Requests", "Configuration", "Sites", "Link agents"].map((name) => ({ name })),
    components: {
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer", description: "the ops admin token (a Worker secret)" },
        tenantKey: { type: "http", scheme: "bearer", description: "a tenant key <tenant>.<id>.<secret> of role client, config or link" },
        accessToken: { type: "apiKey", in: "query", name: "access_token", description: "a client key, on the event-stream upgrade only (browsers)" },
      },
      schemas: schemas(),
    },
    paths,
  };
}
