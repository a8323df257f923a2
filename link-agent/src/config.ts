// The agent's configuration: a JSON file, then environment overrides (secrets usually come that way).
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * A link served by the production JTAPI bridge (infra/jtapi-bridge): the agent starts one bridge process
 * for it, around the customer's Cisco jtapi.jar, and the link's `host` is the CTIManager list of the
 * JTAPI provider string (comma-separated, primary first). Without it the link speaks to `host:port` itself.
 */
export const BridgeConfig = z.object({
  /** Cisco's jtapi.jar from the cluster's plugin page (never shipped with this project). */
  jtapiJar: z.string().min(1),
  /** The Java 11+ runtime. */
  java: z.string().min(1).default("java"),
  /** infra/jtapi-bridge/build/jtapi-bridge.jar by default. */
  bridgeJar: z.string().min(1).optional(),
  /** Debian's libgoogle-gson-java by default (/usr/share/java/gson.jar). */
  gsonJar: z.string().min(1).optional(),
  extraClasspath: z.array(z.string().min(1)).default([]),
  jvmOptions: z.array(z.string().min(1)).default([]),
  /** JtapiPeerFactory.getJtapiPeer's class: Cisco's default when absent (tests name a fake). */
  peer: z.string().min(1).optional(),
  /** Where CTI ports send and receive RTP (dynamic media registration); absent: no media for CTI port calls. */
  rtpHost: z.string().min(1).optional(),
  rtpPort: z.number().int().min(1).max(65535).optional(),
  /** Extra environment of the bridge process (it gets none of the agent's). */
  env: z.record(z.string(), z.string()).default({}),
}).strict();
export type BridgeConfig = z.infer<typeof BridgeConfig>;

export const LinkConfig = z.object({
  name: z.string().regex(/^link-\d+$/, "link-<n>"),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  password: z.string().min(1),
  /** The CTIManager's TLS port, used when this link runs over TLS. */
  tlsPort: z.number().int().min(1).max(65535).default(2749),
  /** Local values of this link's section (tls-instance-id, tls-auth-code); they win over the site's. */
  options: z.record(z.string(), z.string()).default({}),
  /** Serve this link through a JTAPI bridge process (production, a real CUCM). */
  bridge: BridgeConfig.optional(),
}).strict();
export type LinkConfig = z.infer<typeof LinkConfig>;

export const AgentConfig = z.object({
  site: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  agentId: z.string().min(1).max(64),
  role: z.enum(["primary", "backup"]).default("primary"),
  controlPlane: z.object({
    /** Base URL of the control plane: https:// in production (the uplink becomes wss://). */
    url: z.string()
      .refine((u) => URL.canParse(u) && /^(https?|wss?):$/.test(new URL(u).protocol), "an http(s):// or ws(s):// URL")
      // the link key and the site's secrets travel on the uplink: in clear only to this very host
      .refine((u) => !URL.canParse(u) || /^(https|wss):$/.test(new URL(u).protocol) || isLoopback(new URL(u).hostname), "https:// (wss://): http:// and ws:// are accepted only to a loopback address (127.0.0.1, ::1, localhost)"),
    linkKey: z.string().min(1),
  }).strict(),
  links: z.array(LinkConfig).min(1),
  /**
   * TLS towards the switch: true, every link must run over TLS (a link whose TLS options are missing
   * does not connect, instead of sending the JTAPI password in clear); false, plain TCP is allowed;
   * "auto" (default), required for every link whose host is not a loopback address (the local demo).
   */
  requireTls: z.union([z.boolean(), z.literal("auto")]).default("auto"),
  /** Local values of section link-tls (the password, typically, from LINK_TLS_PASSWORD); they win over the site's. */
  linkTls: z.record(z.string(), z.string()).default({}),
  /** How long to wait at start for the site's link options before connecting the links with local options only. */
  optionsWaitMs: z.number().int().min(0).max(120_000).default(10_000),
  batch: z.object({
    maxEvents: z.number().int().min(1).max(5000).default(500),
    maxDelayMs: z.number().int().min(0).max(1000).default(5),
  }).strict().default({ maxEvents: 500, maxDelayMs: 5 }),
  buffer: z.object({ maxEvents: z.number().int().min(100).max(10_000_000).default(100_000) }).strict().default({ maxEvents: 100_000 }),
  log: z.object({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info") }).strict().default({ level: "info" }),
  /** GET /healthz, /readyz and /metrics (Prometheus); loopback by default; null turns it off; port 0 picks one. */
  http: z.object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(9464),
  }).strict().nullable().default({ host: "127.0.0.1", port: 9464 }),
}).strict().superRefine((c, ctx) => {
  const names = new Set<string>();
  for (const l of c.links) {
    if (names.has(l.name)) ctx.addIssue({ code: "custom", path: ["links"], message: `${l.name} is configured twice` });
    names.add(l.name);
  }
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/**
 * Applies environment overrides: TSERVER_URL, TSERVER_LINK_KEY, LINK_AGENT_ID/ROLE/SITE, LOG_LEVEL,
 * LINK_AGENT_HTTP_HOST/PORT (PORT=off turns the health and metrics server off), LINK_REQUIRE_TLS (true, false, auto),
 * LINK_TLS_PASSWORD, LINK_<n>_HOST/PORT/TLS_PORT/USER/PASSWORD/TLS_AUTH_CODE/TLS_INSTANCE_ID.
 */
export function applyEnv(raw: Record<string, any>, env: NodeJS.ProcessEnv): Record<string, any> {
  const out = structuredClone(raw);
  out.controlPlane ??= {};
  if (env.TSERVER_URL) out.controlPlane.url = env.TSERVER_URL;
  if (env.TSERVER_LINK_KEY) out.controlPlane.linkKey = env.TSERVER_LINK_KEY;
  if (env.LINK_AGENT_ID) out.agentId = env.LINK_AGENT_ID;
  if (env.LINK_AGENT_ROLE) out.role = env.LINK_AGENT_ROLE;
  if (env.LINK_AGENT_SITE) out.site = env.LINK_AGENT_SITE;
  if (env.LOG_LEVEL) out.log = { ...out.log, level: env.LOG_LEVEL };
  if (env.LINK_AGENT_HTTP_HOST) out.http = { ...out.http, host: env.LINK_AGENT_HTTP_HOST };
  if (env.LINK_AGENT_HTTP_PORT) out.http = env.LINK_AGENT_HTTP_PORT === "off" ? null : { ...out.http, port: Number(env.LINK_AGENT_HTTP_PORT) };
  if (env.LINK_REQUIRE_TLS) out.requireTls = env.LINK_REQUIRE_TLS === "auto" ? "auto" : env.LINK_REQUIRE_TLS === "true";
  if (env.LINK_TLS_PASSWORD) out.linkTls = { ...out.linkTls, password: env.LINK_TLS_PASSWORD };
  out.links ??= [];
  // links named only in the environment come after the file's, in number order (the first link that lists a DN serves it)
  const linkVars = Object.entries(env)
    .map(([key, value]) => ({ m: /^LINK_(\d+)_(HOST|PORT|TLS_PORT|USER|PASSWORD|TLS_AUTH_CODE|TLS_INSTANCE_ID)$/.exec(key), value }))
    .filter((v): v is { m: RegExpExecArray; value: string } => v.m !== null && v.value !== undefined)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
  for (const { m, value } of linkVars) {
    const name = `link-${m[1]}`;
    let link = out.links.find((l: { name: string }) => l.name === name);
    if (!link) out.links.push((link = { name }));
    const field = m[2]!;
    if (field === "TLS_AUTH_CODE" || field === "TLS_INSTANCE_ID") link.options = { ...link.options, [field.toLowerCase().replace(/_/g, "-")]: value };
    else if (field === "TLS_PORT") link.tlsPort = Number(value);
    else link[field.toLowerCase()] = field === "PORT" ? Number(value) : value;
  }
  return out;
}

/** Validates a raw config; the error names every bad field (`links.0.port: ...; controlPlane.url: ...`). */
export function parseConfig(raw: unknown): AgentConfig {
  const parsed = AgentConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new Error(`link agent config: ${issues.join("; ")}`);
  }
  return parsed.data;
}

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let raw: Record<string, any> = {};
  if (path) {
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`link agent config ${path}: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`link agent config ${path}: the file must hold one JSON object`);
  }
  return parseConfig(applyEnv(raw, env));
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the host. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Whether this link must run over TLS (requireTls). */
export function tlsRequired(config: AgentConfig, link: LinkConfig): boolean {
  return config.requireTls === "auto" ? !isLoopback(link.host) : config.requireTls;
}
