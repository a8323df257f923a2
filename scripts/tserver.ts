// `npm run tserver -- <command>`: the T-Server from a terminal, for integrators and ops. Credentials come
// from options or the environment (TSERVER_API, TSERVER_ADMIN_TOKEN, TSERVER_KEY), else from the running
// demo's .local/demo.json. `npm run tserver -- --help` lists everything.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { WebSocket } from "undici";
import { ApiError, TServerClient, type WebSocketCtor } from "../shared/client.js";
import type { ClientRequest } from "../shared/client-api.js";
import { formatEvent } from "./lib/demo.js";

interface Demo { api?: string; adminToken?: string; keys?: { client?: string; config?: string } }
const demo: Demo = (() => {
  try { return JSON.parse(readFileSync(".local/demo.json", "utf8")) as Demo; } catch { return {}; }
})();

const program = new Command("tserver")
  .description("CUCM T-Server: provisioning, configuration, sessions and requests")
  .addOption(new Option("--api <url>", "the API's base URL").env("TSERVER_API"))
  .addOption(new Option("--admin-token <token>", "the ops admin token (provision, keys)").env("TSERVER_ADMIN_TOKEN"))
  .addOption(new Option("--key <key>", "a tenant key (config for options and DNs, client for sessions and requests)").env("TSERVER_KEY"))
  .option("--json", "print answers as JSON")
  .showHelpAfterError();

type Role = "admin" | "config" | "client";
function client(role: Role): TServerClient {
  const o = program.opts<{ api?: string; adminToken?: string; key?: string }>();
  const api = o.api ?? demo.api;
  const key = role === "admin" ? o.adminToken ?? demo.adminToken : o.key ?? demo.keys?.[role];
  if (!api) fail("no API URL: give --api or TSERVER_API (or run `npm start`, which writes .local/demo.json)");
  if (!key) fail(role === "admin" ? "no admin token: give --admin-token or TSERVER_ADMIN_TOKEN" : `no ${role} key: give --key or TSERVER_KEY`);
  return new TServerClient({ api, key, WebSocket: WebSocket as unknown as WebSocketCtor });
}

function fail(message: string): never {
  console.error(`tserver: ${message}`);
  process.exit(1);
}

function print(value: unknown): void {
  if (program.opts().json || typeof value !== "object" || value === null) console.log(typeof value === "string" ? value : JSON.stringify(value, null, 2));
  else console.log(JSON.stringify(value, null, 2));
}

/** Runs one API call; an error answer prints its `error` and exits 1. */
async function call(role: Role, method: string, path: string, body?: unknown): Promise<unknown> {
  try {
    const { status, body: answer } = await client(role).call(method, path, body);
    return status === 204 ? { ok: true } : answer;
  } catch (err) {
    if (err instanceof ApiError) fail(`HTTP ${err.status}: ${(err.body as { error?: string })?.error ?? JSON.stringify(err.body)}`);
    fail((err as Error).message);
  }
}
const enc = encodeURIComponent;

/** Request attributes that are numbers; the rest are strings (DNs are strings even when all digits). */
const NUMERIC = new Set(["referenceID", "agentWorkMode", "registerMode"]);

/** name=value pairs; numeric attributes become numbers, `{...}` values (extensions, userData) JSON objects. */
function attributes(pairs: string[], raw = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf("=");
    if (i <= 0) fail(`"${pair}" is not name=value`);
    const [name, value] = [pair.slice(0, i), pair.slice(i + 1)];
    if (raw) { out[name] = value; continue; }
    if (NUMERIC.has(name)) out[name] = Number(value);
    else if (value.startsWith("{")) {
      try { out[name] = JSON.parse(value); } catch { fail(`${name}: not a JSON object: ${value}`); }
    } else out[name] = value;
  }
  return out;
}

const provision = program.command("provision").description("tenants and sites (admin token)");
provision.command("tenant <tenant>").description("create a tenant").action(async (t: string) => print(await call("admin", "PUT", `/v1/tenants/${enc(t)}`)));
provision.command("site <tenant> <site>").description("create a site of a tenant").action(async (t: string, s: string) => print(await call("admin", "PUT", `/v1/tenants/${enc(t)}/sites/${enc(s)}`)));

const keys = program.command("keys").description("tenant keys (admin token)");
keys.command("create <tenant>").description("issue a key; it is shown once")
  .addOption(new Option("--role <role>", "key role").choices(["client", "config", "link"]).makeOptionMandatory())
  .option("--site <site>", "the site of a link key")
  .action(async (t: string, o: { role: string; site?: string }) => print(await call("admin", "POST", `/v1/tenants/${enc(t)}/keys`, { role: o.role, ...(o.site ? { site: o.site } : {}) })));
keys.command("list <tenant>").description("list keys (never secrets)").action(async (t: string) => print(await call("admin", "GET", `/v1/tenants/${enc(t)}/keys`)));
keys.command("revoke <tenant> <id>").description("revoke a key").action(async (t: string, id: string) => print(await call("admin", "DELETE", `/v1/tenants/${enc(t)}/keys/${enc(id)}`)));

const options = program.command("options").description("a site's option sections (config key)");
options.command("get <site> <section>").action(async (s: string, sec: string) => print(await call("config", "GET", `/v1/sites/${enc(s)}/options/${enc(sec)}`)));
options.command("set <site> <section> <name=value...>").description("change options; the others keep their values")
  .action(async (s: string, sec: string, pairs: string[]) => {
    const path = `/v1/sites/${enc(s)}/options/${enc(sec)}`;
    const current = (await call("config", "GET", path)) as Record<string, string>;
    print(await call("config", "PUT", path, { ...current, ...attributes(pairs, true) }));
  });

const dns = program.command("dns").description("a site's DN objects (config key)");
dns.command("list <site>").action(async (s: string) => print(await call("config", "GET", `/v1/sites/${enc(s)}/dns`)));
dns.command("get <site> <number>").action(async (s: string, n: string) => print(await call("config", "GET", `/v1/sites/${enc(s)}/dns/${enc(n)}`)));
dns.command("put <site> <number>").description("create or replace a DN object")
  .addOption(new Option("--type <type>", "DN type").choices(["Extension", "ACDPosition", "RoutingPoint"]).default("Extension"))
  .option("--switch-specific-type <n>", "switch-specific type (2: a CTI port)", (v) => Number(v))
  .option("--annex <section.option=value...>", "annex options, e.g. TServer.route-invalid-dest-action=logout")
  .action(async (s: string, n: string, o: { type: string; switchSpecificType?: number; annex?: string[] }) => {
    const annex: Record<string, Record<string, string>> = {};
    for (const [key, value] of Object.entries(attributes(o.annex ?? [], true))) {
      const dot = key.indexOf(".");
      if (dot <= 0) fail(`annex "${key}" is not section.option`);
      (annex[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = String(value);
    }
    print(await call("config", "PUT", `/v1/sites/${enc(s)}/dns/${enc(n)}`, { type: o.type, ...(o.switchSpecificType !== undefined ? { switchSpecificType: o.switchSpecificType } : {}), ...(o.annex ? { annex } : {}) }));
  });
dns.command("delete <site> <number>").action(async (s: string, n: string) => print(await call("config", "DELETE", `/v1/sites/${enc(s)}/dns/${enc(n)}`)));

program.command("site <site>").description("a site's link agents and links (client or config key)")
  .action(async (s: string) => print(await call(program.opts().key ? "client" : "config", "GET", `/v1/sites/${enc(s)}`)));

program.command("session").description("open a client session and print its id (client key)")
  .action(async () => print(await call("client", "POST", "/v1/sessions", {})));

program.command("request <site> <request> [name=value...]").description("send any T-Library request, e.g. request site-a RequestMakeCall thisDN=1001 otherDN=1002")
  .requiredOption("--session <id>", "the client session (tserver session)")
  .action(async (s: string, name: string, pairs: string[], o: { session: string }) => {
    const answer = await client("client").request(s, { sessionId: o.session, request: name, ...attributes(pairs) } as ClientRequest)
      .catch((err: Error) => fail(err instanceof ApiError ? `HTTP ${err.status}: ${(err.body as { error?: string })?.error}` : err.message));
    if (program.opts().json) print(answer);
    else console.log(`${answer.status} referenceID=${answer.referenceID ?? "-"} ${formatEvent(answer.event)}`);
    if (answer.status !== 200) process.exitCode = 1;
  });

program.command("tail <site> [dn...]").description("open a session, register the DNs and print its events readably until Ctrl-C")
  .option("--after <seq>", "resume a session from this seq", (v) => Number(v))
  .option("--session <id>", "an existing session instead of a new one")
  .action(async (s: string, dnList: string[], o: { after?: number; session?: string }) => {
    const c = client("client");
    const sessionId = o.session ?? (await c.createSession()).sessionId;
    let last = o.after ?? 0;
    let closing = false;
    const open = () => {
      const ws = c.openEvents(sessionId, (e) => {
        if (e.seq) last = e.seq;
        console.log(program.opts().json ? JSON.stringify(e) : formatEvent(e));
      }, last);
      ws.addEventListener("close", () => { if (!closing) setTimeout(open, 1000); });
    };
    open();
    for (const dn of dnList) {
      const a = await c.request(s, { sessionId, request: "RequestRegisterAddress", thisDN: dn });
      if (a.status !== 200) console.error(`register ${dn}: ${a.event.errorMessage}`);
    }
    console.error(`session ${sessionId} on ${s}${dnList.length ? ` watching ${dnList.join(" ")}` : ""} (Ctrl-C ends it)`);
    process.on("SIGINT", async () => {
      closing = true;
      if (!o.session) await c.endSession(sessionId).catch(() => undefined);
      process.exit(0);
    });
  });

await program.parseAsync();
