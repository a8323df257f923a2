// Every wrangler environment bundles and would deploy (`wrangler deploy --dry-run`, offline), under a
// name of its own, production never on workers.dev and always on a route.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const toml = readFileSync("wrangler.toml", "utf8");
const envs = [...toml.matchAll(/^\[env\.([a-z0-9-]+)\]$/gm)].map((m) => m[1]!);

/** The top-level keys of one table (`[env.<name>]`, or the top level for null), up to the next table. */
function table(env: string | null): string {
  const start = env === null ? 0 : toml.indexOf(`[env.${env}]`) + `[env.${env}]`.length;
  const rest = toml.slice(start);
  const end = rest.search(/^\[/m);
  return end < 0 ? rest : rest.slice(0, end);
}
const value = (text: string, key: string) => new RegExp(`^${key} = (.+)$`, "m").exec(text)?.[1];

describe("wrangler.toml", () => {
  it("has staging and production, each a Worker of its own name, none with the development name", () => {
    expect(envs).toEqual(["staging", "production"]);
    const names = [value(table(null), "name"), ...envs.map((e) => value(table(e), "name"))];
    expect(names).toEqual(['"cucm-tserver-dev"', '"cucm-tserver-staging"', '"cucm-tserver"']);
  });

  it("keeps production off workers.dev and on its own route", () => {
    const prod = table("production");
    expect(value(prod, "workers_dev")).toBe("false");
    expect(value(prod, "routes")).toMatch(/pattern = "[^"]+", custom_domain = true/);
    for (const e of envs) expect(toml.match(new RegExp(`^\\[\\[env\\.${e}\\.durable_objects\\.bindings\\]\\]$`, "gm"))?.length, e).toBe(5);
  });

  it.each(envs)("`wrangler deploy --dry-run --env %s` bundles with every binding", async (env) => {
    const out = mkdtempSync(join(tmpdir(), `dry-${env}-`));
    try {
      const { stdout } = await run(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--env", env, "--outdir", out], {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
        timeout: 90_000,
      });
      expect(stdout).toContain("--dry-run: exiting now.");
      for (const binding of ["env.TENANT (Tenant)", "env.SITE (Site)", "env.DN (Dn)", "env.SESSION (Session)", "env.CALL (Call)", "env.LOG_LEVEL"]) expect(stdout).toContain(binding);
      expect(readFileSync(join(out, "index.js"), "utf8")).toMatch(/var Tenant = class/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
