// The agent ships as built JavaScript that needs only the production dependencies: build it as the
// container recipe does, check every package it imports is a production dependency, and run it.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
// inside the repo, so that node resolves the packages from its node_modules as an installed agent does
mkdirSync("dist", { recursive: true });
const out = mkdtempSync(join("dist", "agent-build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]));

describe("the link agent as shipped", () => {
  it("builds to JavaScript that imports production dependencies only, and runs with node alone", async () => {
    await run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "link-agent/tsconfig.build.json", "--outDir", out], { timeout: 120_000 });
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    for (const f of files(out).filter((f) => f.endsWith(".js"))) {
      const text = readFileSync(f, "utf8");
      for (const m of [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm), ...text.matchAll(/^\s*import\s+"([^"]+)"/gm), ...text.matchAll(/\bimport\("([^"]+)"\)/g)]) {
        const spec = m[1]!;
        if (spec.startsWith("node:") || spec.startsWith(".")) continue;
        imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    expect([...imported].sort()).toEqual(["node-forge", "pino", "prom-client", "undici", "ws", "zod"]);
    for (const name of imported) expect(pkg.dependencies[name], name).toBeDefined();

    // a link served by the JTAPI bridge finds the bridge's jar under the installation's root by default
    // (infra/jtapi-bridge/build/, where the container recipe puts it), not under dist/
    const built = (await import(resolve(out, "link-agent/src/bridge-supervisor.js"))) as { DEFAULT_BRIDGE_JAR: string };
    expect(built.DEFAULT_BRIDGE_JAR).toBe(resolve("infra/jtapi-bridge/build/jtapi-bridge.jar"));

    const config = join(out, "agent.json");
    writeFileSync(config, JSON.stringify({
      site: "site-a", agentId: "built", controlPlane: { url: "http://127.0.0.1:1", linkKey: "demo.k.secret" },
      links: [{ name: "link-1", host: "127.0.0.1", port: 1, user: "u", password: "p" }], http: { host: "127.0.0.1", port: 0 },
    }));
    const child = spawn(process.execPath, [join(out, "link-agent/src/main.js"), "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = "";
        child.stderr.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          const line = seen.split("\n").slice(0, -1).find((l) => l.includes("health and metrics server listening"));
          if (line) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.once("exit", (code) => reject(new Error(`the built agent exited (${code}): ${seen}`)));
      });
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "degraded", program: "link-agent", site: "site-a", agentId: "built" });
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }, 150_000);
});
