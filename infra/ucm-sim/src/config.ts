// The simulator's configuration: clusters (one per site), their devices, application users and trunks.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DeviceKinds } from "../../../shared/switch-link.js";

const number = z.string().regex(/^[0-9*#+]{1,32}$/, "digits, * # or +");

export const DeviceConfig = z.object({
  dn: number,
  kind: z.enum(DeviceKinds),
  /** Device name as UCM shows it (SEP..., CTIP..., CTIRP..., RT...). Defaults from kind and dn. */
  name: z.string().optional(),
  /** An incoming call is refused busy when the line already has this many calls (UCM's busy trigger). */
  busyTrigger: z.number().int().min(1).max(10).default(1),
  maxCalls: z.number().int().min(1).max(10).default(4),
  /** CTI ports only: answer offered calls at once (media terminated by the application). */
  autoAnswer: z.boolean().default(false),
  remoteDestinations: z.array(z.object({ number, name: z.string() })).default([]),
  /** Route points: how long a call waits for the application's route select (UCM: 5 s), and where it goes then. */
  routeSelectTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  defaultDestination: number.optional(),
  inService: z.boolean().default(true),
  /** Phones: the built-in bridge silent monitoring needs (CiscoTerminal.isBuiltInBridgeEnabled()); JDG p.345. */
  builtInBridge: z.boolean().default(true),
  /**
   * CTI ports: a monitor call still at this port (its initiator) after this long is dropped, as UCM drops calls a
   * port registered without media cannot stream for (JDG "CiscoMediaTerminal"); 0 = never. jtapi-fidelity B.1(1) 5.
   */
  mediaTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
  /** Remote terminals: how many remote destinations the device may hold (CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED beyond). */
  maxRemoteDestinations: z.number().int().min(1).max(20).default(4),
  /** Remote terminals: the active remote destination is cleared when the provider that set it goes away (JDG p.923). */
  clearActiveOnProviderClose: z.boolean().default(true),
  /**
   * Remote terminals: CUCM 10.0(1)'s "Route calls to all remote destinations when client is not connected" (TDG 61):
   * unextended, a call rings every remote destination instead of failing busy. Off by default, as in CUCM.
   */
  routeToAllWhenNotConnected: z.boolean().default(false),
  /** Remote terminals: the mobile answers a call placed through CTI by itself after this long (tests); 0 = a person answers. */
  remoteAutoAnswerMs: z.number().int().min(0).max(60_000).default(0),
}).strict();
export type DeviceConfig = z.infer<typeof DeviceConfig>;

export const ClusterConfig = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  /** Dialed numbers starting with one of these are this cluster's (trunk routing). */
  numberPrefixes: z.array(z.string().regex(/^[0-9]+$/)).min(1),
  /** CTIManager port of the switch link (plain TCP; 0 picks a free one). */
  linkPort: z.number().int().min(0).max(65535).default(0),
  users: z.array(z.object({
    user: z.string().min(1),
    password: z.string().min(1),
    /** DNs associated with this application user (its provider's domain); all when absent. */
    devices: z.array(number).optional(),
  }).strict()).min(1),
  devices: z.array(DeviceConfig),
  /** The calling number a single-step transferred call shows its destination: the party that remains (default) or the transferrer. [I] jtapi-fidelity B.1(1) 3. */
  transferCallerId: z.enum(["remaining", "transferrer"]).default("remaining"),
  /** How long the CTIManager keeps a provider's active remote destinations for it to come back (jtapi.ini ProviderRetryInterval, 30 s). */
  providerRetryIntervalMs: z.number().int().min(0).max(600_000).default(30_000),
  /** The cluster's security services: TLS port of the CTIManager, CAPF and TFTP, on UCM's ports unless set (0 picks a free one). */
  tls: z.object({
    linkPort: z.number().int().min(0).max(65535).default(2749),
    capfPort: z.number().int().min(0).max(65535).default(3804),
    tftpPort: z.number().int().min(0).max(65535).default(69),
    /** Keeps the cluster's CA and server key across runs (otherwise new ones every run). */
    pkiDir: z.string().optional(),
    /** Application User CAPF profiles: instance ID and its one-time authorization code. */
    capfProfiles: z.array(z.object({ instanceId: z.string().min(1), authCode: z.string().min(1) }).strict()).default([]),
  }).strict().optional(),
}).strict();
export type ClusterConfig = z.infer<typeof ClusterConfig>;

export const SimConfig = z.object({
  clusters: z.array(ClusterConfig).min(1),
  /** Pairs of cluster names joined by an inter-cluster trunk. */
  trunks: z.array(z.tuple([z.string(), z.string()])).default([]),
}).strict().superRefine((config, ctx) => {
  const names = new Set(config.clusters.map((c) => c.name));
  for (const [a, b] of config.trunks) {
    if (!names.has(a) || !names.has(b)) ctx.addIssue({ code: "custom", message: `trunk ${a}-${b} names an unknown cluster` });
  }
  for (const c of config.clusters) {
    const seen = new Set<string>();
    for (const d of c.devices) {
      if (seen.has(d.dn)) ctx.addIssue({ code: "custom", message: `cluster ${c.name}: DN ${d.dn} is configured twice` });
      seen.add(d.dn);
    }
  }
});
export type SimConfig = z.infer<typeof SimConfig>;

export function parseConfig(raw: unknown): SimConfig {
  const parsed = SimConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`simulator config: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

export function loadConfig(path: string): SimConfig {
  return parseConfig(JSON.parse(readFileSync(path, "utf8")));
}

/** A device's name when its config gives none; a CTI remote device's is CTIRD… (jtapi-fidelity B.2 (1), JDG p.1345's "TermConnActiveEv CTIRD"). */
export function deviceName(d: Pick<DeviceConfig, "dn" | "kind" | "name">): string {
  if (d.name) return d.name;
  const prefix = { phone: "SEP0000000A", ctiPort: "CTIP", routePoint: "CTIRP", remoteTerminal: "CTIRD" }[d.kind];
  return `${prefix}${d.dn}`;
}
