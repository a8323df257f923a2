// The API contract as OpenAPI 3.1 (served at /v1/openapi.json). docs/client-api.md says the same in prose.
import { RequestNames } from "../../../shared/tlib.js";

const bearer = [{ bearer: [] }];
const json = (schema: object) => ({ content: { "application/json": { schema } } });
const eventAnswer = {
  type: "object",
  properties: { referenceID: { type: "integer" }, event: { $ref: "#/components/schemas/Event" } },
};

export const openapi = {
  openapi: "3.1.0",
  info: { title: "CUCM T-Server API", version: "1", description: "T-Library requests over HTTPS, T-Library events over a WebSocket per client session." },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "admin token, or a tenant key <tenant>.<id>.<secret> of role client, config or link" } },
    schemas: {
      Event: {
        type: "object",
        required: ["event"],
        properties: {
          event: { type: "string", description: "T-Library event name, e.g. EventEstablished" },
          seq: { type: "integer", description: "per session, from 1, no gaps" },
          site: { type: "string" },
          time: { type: "string", format: "date-time" },
          referenceID: { type: "integer" },
          thisDN: { type: "string" }, otherDN: { type: "string" }, connID: { type: "string", pattern: "^[0-9a-f]{16}$" },
          thisDNRole: { type: "integer" }, otherDNRole: { type: "integer" }, callType: { type: "integer" }, callState: { type: "integer" },
          errorCode: { type: "integer" }, errorMessage: { type: "string" },
        },
        additionalProperties: true,
      },
      Request: {
        type: "object",
        required: ["sessionId", "request"],
        additionalProperties: false,
        properties: {
          sessionId: { type: "string" },
          request: { enum: [...RequestNames] },
          referenceID: { type: "integer" },
          thisDN: { type: "string" }, otherDN: { type: "string" }, connID: { type: "string" }, location: { type: "string" },
          agentID: { type: "string" }, agentWorkMode: { type: "integer" }, registerMode: { type: "integer" },
          extensions: { type: "object" }, reasons: { type: "object" }, userData: { type: "object" },
        },
      },
      DnObject: {
        type: "object",
        required: ["type"],
        properties: {
          type: { enum: ["Extension", "ACDPosition", "RoutingPoint"] },
          switchSpecificType: { type: "integer" },
          annex: { type: "object", additionalProperties: { type: "object", additionalProperties: { type: "string" } } },
        },
      },
    },
  },
  security: bearer,
  paths: {
    "/v1/tenants/{tenant}": { put: { summary: "Create a tenant (admin)", responses: { 201: { description: "created" }, 200: { description: "exists" } } } },
    "/v1/tenants/{tenant}/sites/{site}": { put: { summary: "Create a site (admin)", responses: { 201: { description: "created" }, 404: { description: "no tenant" } } } },
    "/v1/tenants/{tenant}/keys": {
      post: {
        summary: "Issue a key (admin); shown once",
        requestBody: json({ type: "object", properties: { role: { enum: ["client", "config", "link"] }, site: { type: "string" } } }),
        responses: { 201: { description: "the key", ...json({ type: "object", properties: { id: { type: "string" }, key: { type: "string" } } }) } },
      },
      get: { summary: "List keys without secrets (admin)", responses: { 200: { description: "keys" } } },
    },
    "/v1/tenants/{tenant}/keys/{id}": { delete: { summary: "Revoke a key (admin)", responses: { 204: { description: "revoked" } } } },
    "/v1/sessions": { post: { summary: "Create a client session (client key)", responses: { 201: { description: "session", ...json({ type: "object", properties: { sessionId: { type: "string" }, events: { type: "string" } } }) } } } },
    "/v1/sessions/{id}": { delete: { summary: "End a session at once", responses: { 204: { description: "ended" } } }, get: { summary: "A session's registrations", responses: { 200: { description: "ok" } } } },
    "/v1/sessions/{id}/events": {
      get: {
        summary: "Event stream (WebSocket upgrade); ?after=<seq> replays what followed; ?access_token= for browsers",
        parameters: [{ name: "after", in: "query", schema: { type: "integer" } }],
        responses: { 101: { description: "WebSocket: text frames of one event or an array of events" } },
      },
    },
    "/v1/sites/{site}": { get: { summary: "Site status: link, agents", responses: { 200: { description: "status" } } } },
    "/v1/sites/{site}/requests": {
      post: {
        summary: "A T-Library request; answered with its first outcome",
        requestBody: json({ $ref: "#/components/schemas/Request" }),
        responses: {
          200: { description: "the answering event", ...json(eventAnswer) },
          400: { description: "malformed: EventError 53 naming the field", ...json(eventAnswer) },
          422: { description: "EventError with a T-Library errorCode", ...json(eventAnswer) },
        },
      },
    },
    "/v1/sites/{site}/options/{section}": {
      get: { summary: "A section's options (config key); secrets are masked", responses: { 200: { description: "options" } } },
      put: { summary: "Replace a section's options (config key)", requestBody: json({ type: "object", additionalProperties: { type: "string" } }), responses: { 200: { description: "stored" }, 400: { description: "unknown option or bad value, named" } } },
    },
    "/v1/sites/{site}/dns": {
      get: { summary: "DN objects (config key); ?limit= pages, ?after= continues", parameters: [{ name: "limit", in: "query", schema: { type: "integer" } }, { name: "after", in: "query", schema: { type: "string" } }], responses: { 200: { description: "dns (and next, with limit)" } } },
      put: { summary: "Create or replace up to 10,000 DN objects at once (one resync)", requestBody: json({ type: "object", properties: { dns: { type: "array", items: { allOf: [{ $ref: "#/components/schemas/DnObject" }, { type: "object", required: ["number"], properties: { number: { type: "string" } } }] } } } }), responses: { 200: { description: "{ created, replaced }" }, 400: { description: "a bad entry, named" } } },
    },
    "/v1/sites/{site}/dns/{number}": {
      get: { summary: "A DN object", responses: { 200: { description: "dn" }, 404: { description: "none" } } },
      put: { summary: "Create or replace a DN object", requestBody: json({ $ref: "#/components/schemas/DnObject" }), responses: { 201: { description: "created" }, 200: { description: "replaced" } } },
      delete: { summary: "Delete a DN object", responses: { 204: { description: "deleted" } } },
    },
    "/v1/sites/{site}/link": { get: { summary: "Link agent WebSocket (link key of this site); protocol in docs/uplink.md", responses: { 101: { description: "WebSocket" } } } },
  },
};
