// T-Library requests: POST /v1/sites/<site>/requests. The answer is the request's first outcome.
import { Hono } from "hono";
import { type AppEnv, requireKey } from "../auth.js";
import { dnStub, sessionStub } from "../env.js";
import { ClientRequest } from "../../../shared/client-api.js";
import { ErrorCode } from "../../../shared/tlib.js";
import { errorEvent } from "../errors.js";
import { readJson } from "./json.js";
import { unknownRequest } from "./suggest.js";

export const requests = new Hono<AppEnv>();
requests.post("/", requireKey("client"), async (c) => {
  const site = c.req.param("site")!;
  const { tenant } = c.get("caller");
  const invalid = (message: string, status: 400 | 404 = 400) =>
    c.json({ error: message, event: { ...errorEvent(ErrorCode.InvalidAttribute, message), site, time: new Date().toISOString() } }, status);

  const body = await readJson(c);
  if (!body.ok) return invalid(body.error);
  const parsed = ClientRequest.safeParse(body.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.path[0] === "request") return invalid(unknownRequest((body.value as { request?: unknown }).request));
    const field = issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "body");
    return invalid(issue.code === "unrecognized_keys" ? `unknown attribute ${field}` : `${field}: ${issue.message}`);
  }
  const req = parsed.data;
  if (!req.thisDN) return invalid(`thisDN is required for ${req.request}`);

  const referenceID = await sessionStub(c.env, tenant, req.sessionId).beginRequest(c.get("caller").keyId, req.referenceID);
  if (referenceID === null) return invalid(`no session "${req.sessionId}": create one with POST /v1/sessions`, 404);

  const outcome = await dnStub(c.env, tenant, site, req.thisDN).request({ ...req, referenceID, tenant, site });
  if (outcome.status !== 200) return c.json({ error: String(outcome.event.errorMessage ?? outcome.event.event), referenceID: outcome.referenceID, event: outcome.event }, outcome.status as 422);
  return c.json({ referenceID: outcome.referenceID, event: outcome.event }, 200);
});
