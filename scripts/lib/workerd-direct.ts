// The worker in one workerd process, as the bench's default control plane: the bundle `wrangler deploy`
// would upload (`--dry-run --outdir`), run by Miniflare with wrangler.toml's bindings and served on a
// direct socket (no entry worker in front). `wrangler dev` puts a second workerd in front of the worker
// (its reload proxy, a third of the machine's CPU under load): a cost no deployment has.
// Usage: tsx scripts/lib/workerd-direct.ts --port P --persist DIR --admin-token T [--inspector-port I]
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    persist: { type: "string" },
    "admin-token": { type: "string" },
    "inspector-port": { type: "string" },
    "log-level": { type: "string", default: "error" },
  },
});
if (!values.port || !values.persist || !values["admin-token"]) {
  console.error("usage: workerd-direct.ts --port P --persist DIR --admin-token T [--inspector-port I]");
  process.exit(2);
}

const outdir = mkdtempSync(join(tmpdir(), "tserver-bundle-"));
execFileSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--env=", "--outdir", outdir], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});

// wrangler.toml's bindings for its top-level environment (the one `wrangler dev` runs), as Wrangler maps them
const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
const mf = new Miniflare({
  ...(workerOptions as Record<string, unknown>),
  name: "tserver",
  modules: true,
  scriptPath: join(outdir, "index.js"),
  modulesRoot: outdir,
  bindings: { ...(workerOptions.bindings ?? {}), ADMIN_TOKEN: values["admin-token"], LOG_LEVEL: values["log-level"] },
  durableObjectsPersist: values.persist,
  unsafeDirectSockets: [{ host: "127.0.0.1", port: Number(values.port) }],
  ...(values["inspector-port"] ? { inspectorPort: Number(values["inspector-port"]) } : {}),
} as ConstructorParameters<typeof Miniflare>[0]);
await mf.ready;
console.log(`workerd ready ${values.port}`);
const stop = () => { void mf.dispose().finally(() => process.exit(0)); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
