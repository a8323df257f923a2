// Runs the Java JTAPI bridge (infra/jtapi-bridge) against its fake Cisco provider, and talks to it as the
// link agent does: framed JSON over its loopback port, every frame checked with the agent's own schemas.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";
import { Hello, SwitchRequest, SwitchToAgent } from "../../../shared/switch-link.js";

export const BRIDGE_DIR = "infra/jtapi-bridge";
const BUILD = `${BRIDGE_DIR}/build`;
export const GSON_JAR = process.env.GSON_JAR ?? "/usr/share/java/gson.jar";
export const FAKE_PEER = "tserver.jtapibridge.fake.FakePeer";

/** Builds the stub, the bridge and the fake (javac + jar, skipped when up to date). */
export function buildBridge(): void {
  execFileSync("bash", [`${BRIDGE_DIR}/build.sh`, "--test"], { stdio: ["ignore", "ignore", "inherit"], timeout: 180_000 });
}

/** The classpath a test bridge runs with: the stub and the fake stand in for Cisco's jtapi.jar. */
export const testClasspath = (): string => [`${BUILD}/jtapi-stub.jar`, `${BUILD}/jtapi-fake.jar`].join(":");

export interface RunningBridge {
  proc: ChildProcess;
  port: number;
  stderr: string[];
  /** The fake's control port (dial, answer, hangup, oos, inservice, device-oos, device-is). */
  control(command: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBridge(config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<RunningBridge> {
  const dir = mkdtempSync(join(tmpdir(), "jtapi-bridge-"));
  const controlFile = join(dir, "control-port");
  const proc = spawn("java", ["-cp", [testClasspath(), GSON_JAR, `${BUILD}/jtapi-bridge.jar`].join(":"), "tserver.jtapibridge.Main"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, FAKE_JTAPI_CONTROL_FILE: controlFile, ...env },
  });
  const stderr: string[] = [];
  proc.stderr!.on("data", (d: Buffer) => stderr.push(...d.toString("utf8").split("\n").filter(Boolean)));
  proc.stdin!.write(JSON.stringify({ link: "link-1", ctiManagers: "cucm-pub,cucm-sub1", peer: FAKE_PEER, ...config }) + "\n");
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString("utf8");
      const line = out.split("\n")[0]!;
      if (out.includes("\n")) {
        proc.stdout!.off("data", onData);
        try {
          resolve((JSON.parse(line) as { listening: number }).listening);
        } catch (err) {
          reject(err);
        }
      }
    };
    proc.stdout!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`bridge exited with ${code}: ${stderr.join("\n")}`)));
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    proc, port, stderr,
    async control(command) {
      const controlPort = Number(readFileSync(controlFile, "utf8"));
      return new Promise((resolve, reject) => {
        const s = net.connect(controlPort, "127.0.0.1", () => s.write(command + "\n"));
        s.once("data", (d) => { resolve(d.toString("utf8").trim()); s.destroy(); });
        s.once("error", reject);
      });
    },
    async stop() {
      proc.stdin!.end(); // the bridge exits when its agent is gone
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000)).then(() => proc.kill("SIGKILL"))]);
    },
  };
}

/** One connection to the bridge, as the link agent's: frames in order, each validated with SwitchToAgent. */
export class BridgeConnection {
  frames: any[] = [];
  invalid: unknown[] = [];
  closed = false;
  private decoder = new FrameDecoder();
  private nextId = 1;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      for (const f of this.decoder.push(chunk)) {
        const parsed = SwitchToAgent.safeParse(f);
        if (!parsed.success) this.invalid.push({ frame: f, issues: parsed.error.issues });
        this.frames.push(f);
      }
    });
    socket.on("close", () => { this.closed = true; });
    socket.on("error", () => undefined);
  }

  static async open(port: number): Promise<BridgeConnection> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
    return new BridgeConnection(socket);
  }

  /** hello, then waits for welcome (or the error frame). */
  async hello(password = "secret", user = "tserver"): Promise<any> {
    this.send(Hello.parse({ type: "hello", protocol: 1, user, password, application: "link-agent test", link: "link-1" }));
    return this.waitFor((f) => f.type === "welcome" || f.type === "error", "welcome");
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  /** Sends a request as the agent's own schema makes it (defaults applied); resolves with its response frame. */
  async request(op: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    this.send(SwitchRequest.parse({ type: "request", id, ...op }));
    return this.waitFor((f) => f.type === "response" && f.id === id, `response ${id} (${String(op.op)})`);
  }

  /** The events received after frame index `from`, flattened. */
  eventsAfter(from: number): any[] {
    return this.frames.slice(from).filter((f) => f.type === "events").flatMap((f) => f.events);
  }

  async waitFor(match: (f: any) => boolean, what: string, ms = 10_000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until the events after `from` include one matching. */
  async waitForEvent(from: number, match: (e: any) => boolean, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.eventsAfter(from).some(match)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${this.eventsAfter(from).map((e) => `${e.id}@${e.address ?? ""}`).join(", ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitClosed(ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error("the bridge did not close the connection");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
