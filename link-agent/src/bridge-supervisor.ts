// One JTAPI bridge process per link whose configuration names Cisco's jtapi.jar (links[].bridge): the
// production path to a real CUCM (infra/jtapi-bridge). The agent starts it, hands it its configuration
// (TLS secrets included) on its standard input, connects to the loopback port it reports, relays its log
// lines, and starts it again with back-off when it dies. The bridge exits by itself when the agent is
// gone (its standard input closes), so no bridge outlives its agent.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { backoffDelay } from "./backoff.js";
import type { BridgeConfig, LinkConfig } from "./config.js";
import type { LinkSocket } from "./switch-link-client.js";

/** The security properties for CiscoJtapiProperties.setSecurityPropertyForInstance, from link-tls and link-N. */
export interface BridgeTls {
  instanceId: string;
  authCode?: string;
  tftpHost: string;
  tftpPort: string;
  capfHost: string;
  capfPort: string;
  certPath: string;
  storePassphrase?: string;
}

export const BRIDGE_MAIN = "tserver.jtapibridge.Main";
/**
 * The bridge's jar as infra/jtapi-bridge/build.sh makes it, under the installation's root (the nearest
 * directory with package.json): the repository, or /opt/cucm-tserver for the built agent, whose files are
 * two levels deeper (dist/link-agent/link-agent/src) than the sources.
 */
export const DEFAULT_BRIDGE_JAR = join(installRoot(), "infra/jtapi-bridge/build/jtapi-bridge.jar");
function installRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
export const DEFAULT_GSON_JAR = "/usr/share/java/gson.jar";

/** What a bridge is started with: nothing secret is in the arguments or the environment. */
export function bridgeCommand(link: LinkConfig, bridge: BridgeConfig): { command: string; args: string[] } {
  const classpath = [bridge.jtapiJar, bridge.gsonJar ?? DEFAULT_GSON_JAR, bridge.bridgeJar ?? DEFAULT_BRIDGE_JAR, ...bridge.extraClasspath].join(":");
  return { command: bridge.java, args: [...bridge.jvmOptions, "-cp", classpath, BRIDGE_MAIN] };
}

/** The one line the bridge reads on its standard input. */
export function bridgeStdinConfig(link: LinkConfig, bridge: BridgeConfig, tls: BridgeTls | null): Record<string, unknown> {
  return {
    link: link.name,
    ctiManagers: link.host,
    ...(bridge.peer ? { peer: bridge.peer } : {}),
    ...(bridge.rtpHost ? { rtpHost: bridge.rtpHost, rtpPort: bridge.rtpPort } : {}),
    ...(tls ? { tls } : {}),
  };
}

export interface SupervisorTiming {
  backoff: { minMs: number; maxMs: number };
  /** A bridge that ran this long counts as healthy: the next restart is quick again. */
  healthyAfterMs: number;
  /** How long a new bridge has to report its port. */
  startTimeoutMs: number;
}

const DEFAULT_TIMING: SupervisorTiming = { backoff: { minMs: 1000, maxMs: 60_000 }, healthyAfterMs: 60_000, startTimeoutMs: 30_000 };

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);

export class BridgeSupervisor {
  private proc: ChildProcess | null = null;
  private port: number | null = null;
  private starting: Promise<number> | null = null;
  private failures = 0;
  private lastExit = 0;
  private stopped = false;
  private readonly timing: SupervisorTiming;

  constructor(
    private readonly link: LinkConfig,
    private readonly bridge: BridgeConfig,
    private readonly tls: BridgeTls | null,
    private readonly log: Logger,
    timing: Partial<SupervisorTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The link's SocketFactory: starts the bridge when none runs, then connects to its loopback port. */
  readonly connect = async (): Promise<LinkSocket> => {
    const port = await this.running();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.setNoDelay(true);
      socket.once("connect", () => { socket.off("error", reject); resolve(socket); });
      socket.once("error", reject);
    });
  };

  stop(): void {
    this.stopped = true;
    const proc = this.proc;
    if (!proc) return;
    proc.stdin?.end(); // the bridge exits when its standard input closes
    const kill = setTimeout(() => proc.kill("SIGKILL"), 5000);
    kill.unref();
    proc.once("exit", () => clearTimeout(kill));
  }

  private running(): Promise<number> {
    if (this.stopped) return Promise.reject(new Error("the link agent is stopping"));
    if (this.proc && this.port !== null) return Promise.resolve(this.port);
    this.starting ??= this.start().finally(() => { this.starting = null; });
    return this.starting;
  }

  private async start(): Promise<number> {
    // back-off between restarts of a bridge that keeps dying; the first start is at once
    if (this.failures > 0) {
      const wait = backoffDelay(this.timing.backoff.minMs, this.timing.backoff.maxMs, this.failures - 1) - (Date.now() - this.lastExit);
      if (wait > 0) {
        this.log.info({ link: this.link.name, waitMs: wait, failures: this.failures }, "jtapi bridge restarting after back-off");
        await new Promise((r) => setTimeout(r, wait));
      }
      if (this.stopped) throw new Error("the link agent is stopping");
    }
    const { command, args } = bridgeCommand(this.link, this.bridge);
    const proc = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: this.environment() });
    this.proc = proc;
    const startedAt = Date.now();
    this.log.info({ link: this.link.name, pid: proc.pid, java: command, tls: this.tls !== null }, "jtapi bridge started");
    proc.stdin!.on("error", () => undefined); // a bridge that died early: its exit is reported below
    proc.stdin!.write(JSON.stringify(bridgeStdinConfig(this.link, this.bridge, this.tls)) + "\n");
    createInterface({ input: proc.stderr! }).on("line", (line) => this.relay(line));

    const port = new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout! });
      let first = true;
      lines.on("line", (line) => {
        if (!first) return this.relay(line);
        first = false;
        const listening = /^\{"listening":(\d+)\}$/.exec(line.trim());
        if (listening) resolve(Number(listening[1]));
        else reject(new Error(`the bridge's first output line is not its port: ${line.slice(0, 200)}`));
      });
      proc.once("error", (err) => reject(new Error(`cannot start ${command}: ${err.message}`)));
      proc.once("exit", (code, signal) => reject(new Error(`the bridge exited before reporting its port (code ${code}, signal ${signal})`)));
      setTimeout(() => reject(new Error(`the bridge reported no port within ${this.timing.startTimeoutMs / 1000} s`)), this.timing.startTimeoutMs).unref();
    });

    proc.once("exit", (code, signal) => {
      if (this.proc === proc) {
        this.proc = null;
        this.port = null;
      }
      this.lastExit = Date.now();
      this.failures = Date.now() - startedAt >= this.timing.healthyAfterMs ? 1 : this.failures + 1;
      if (!this.stopped) this.log.warn({ link: this.link.name, code, signal, failures: this.failures }, "jtapi bridge exited");
      else this.log.info({ link: this.link.name, code, signal }, "jtapi bridge stopped");
    });

    try {
      this.port = await port;
    } catch (err) {
      proc.kill("SIGKILL");
      this.log.error({ link: this.link.name, err: (err as Error).message }, "jtapi bridge failed to start");
      throw err;
    }
    this.log.info({ link: this.link.name, port: this.port }, "jtapi bridge listening on loopback");
    return this.port;
  }

  /** A small environment: the agent's own holds its secrets (passwords, link key), the bridge needs none of them. */
  private environment(): NodeJS.ProcessEnv {
    const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "JAVA_HOME", "TMPDIR"];
    const env: NodeJS.ProcessEnv = {};
    for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
    return { ...env, ...this.bridge.env };
  }

  /** The bridge's JSON log lines at their level, anything else (JTAPI's own traces) at info. */
  private relay(line: string): void {
    if (!line.trim()) return;
    let entry: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) entry = parsed as Record<string, unknown>;
    } catch {
      // not JSON
    }
    if (!entry) return this.log.info({ link: this.link.name, bridge: true }, line.slice(0, 2000));
    const { level, msg, time: _time, link: _link, ...fields } = entry;
    const lvl = typeof level === "string" && LEVELS.has(level) ? (level as "info") : "info";
    this.log[lvl]({ ...fields, link: this.link.name, bridge: true }, `jtapi bridge: ${String(msg ?? "")}`);
  }
}

/**
 * The bridge's TLS settings from the same options as the agent's own TLS path (docs/tls.md): section
 * link-tls (password, tls-cert-path, tls-capf-host/port, tls-tftp-host/port) and the link's section
 * (tls-instance-id, tls-auth-code). Null, with the reason logged, when the link runs without TLS.
 */
export function bridgeTlsOptions(link: string, linkTls: Record<string, string | undefined>, section: Record<string, string | undefined>, log: Logger): BridgeTls | null {
  const v = (o: Record<string, string | undefined>, k: string) => (k === "password" ? o[k] || undefined : o[k]?.trim() || undefined);
  const mandatory = ["password", "tls-cert-path", "tls-capf-host", "tls-capf-port", "tls-tftp-host", "tls-tftp-port"];
  const configured = mandatory.some((k) => v(linkTls, k)) || v(section, "tls-instance-id");
  if (!configured) return null;
  const missing = mandatory.filter((k) => !v(linkTls, k)).map((k) => `link-tls/${k}`);
  if (!v(section, "tls-instance-id")) missing.push(`${link}/tls-instance-id`);
  if (missing.length > 0) {
    log.warn({ link }, `TLS off for ${link}: mandatory option ${missing.join(", ")} is not set; the JTAPI bridge connects without TLS`);
    return null;
  }
  return {
    instanceId: v(section, "tls-instance-id")!,
    ...(v(section, "tls-auth-code") ? { authCode: v(section, "tls-auth-code") } : {}),
    tftpHost: v(linkTls, "tls-tftp-host")!,
    tftpPort: v(linkTls, "tls-tftp-port")!,
    capfHost: v(linkTls, "tls-capf-host")!,
    capfPort: v(linkTls, "tls-capf-port")!,
    certPath: v(linkTls, "tls-cert-path")!,
    storePassphrase: v(linkTls, "password")!,
  };
}
