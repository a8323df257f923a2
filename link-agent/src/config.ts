// The agent's configuration: a JSON file, then environment overrides (secrets usually come that way).
import { readFileSync } from "node:fs";
import { z } from "zod";

export const LinkConfig = z.object({
  name: z.string().regex(/^link-\d+$/, "link-<n>"),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  password: z.string().min(1),
}).strict();
export type LinkConfig = z.infer<typeof LinkConfig>;

export const AgentConfig = z.object({
  site: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  agentId: z.string().min(1).max(64),
  role: z.enum(["primary", "backup"]).default("primary"),
  controlPlane: z.object({ url: z.string().url(), linkKey: z.string().min(1) }).strict(),
  links: z.array(LinkConfig).min(1),
  batch: z.object({
    maxEvents: z.number().int().min(1).max(5000).default(500),
    maxDelayMs: z.number().int().min(0).max(1000).default(5),
  }).strict().default({ maxEvents: 500, maxDelayMs: 5 }),
  buffer: z.object({ maxEvents: z.number().int().min(100).max(10_000_000).default(100_000) }).strict().default({ maxEvents: 100_000 }),
  log: z.object({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info") }).strict().default({ level: "info" }),
}).strict().superRefine((c, ctx) => {
  const names = new Set<string>();
  for (const l of c.links) {
    if (names.has(l.name)) ctx.addIssue({ code: "custom", path: ["links"], message: `${l.name} is configured twice` });
    names.add(l.name);
  }
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/** Applies environment overrides: TSERVER_URL, TSERVER_LINK_KEY, LINK_AGENT_ID/ROLE/SITE, LINK_<n>_HOST/PORT/USER/PASSWORD, LOG_LEVEL. */
export function applyEnv(raw: Record<string, any>, env: NodeJS.ProcessEnv): Record<string, any> {
  const out = structuredClone(raw);
  out.controlPlane ??= {};
  if (env.TSERVER_URL) out.controlPlane.url = env.TSERVER_URL;
  if (env.TSERVER_LINK_KEY) out.controlPlane.linkKey = env.TSERVER_LINK_KEY;
  if (env.LINK_AGENT_ID) out.agentId = env.LINK_AGENT_ID;
  if (env.LINK_AGENT_ROLE) out.role = env.LINK_AGENT_ROLE;
  if (env.LINK_AGENT_SITE) out.site = env.LINK_AGENT_SITE;
  if (env.LOG_LEVEL) out.log = { ...out.log, level: env.LOG_LEVEL };
  out.links ??= [];
  for (const [key, value] of Object.entries(env)) {
    const m = /^LINK_(\d+)_(HOST|PORT|USER|PASSWORD)$/.exec(key);
    if (!m || value === undefined) continue;
    const name = `link-${m[1]}`;
    let link = out.links.find((l: { name: string }) => l.name === name);
    if (!link) out.links.push((link = { name }));
    const field = m[2]!.toLowerCase();
    link[field] = field === "port" ? Number(value) : value;
  }
  return out;
}

export function parseConfig(raw: unknown): AgentConfig {
  const parsed = AgentConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`link agent config: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
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
  }
  return parseConfig(applyEnv(raw, env));
}
