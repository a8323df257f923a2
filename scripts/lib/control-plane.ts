// The control plane as `npm start` runs it: `wrangler dev` on a fixed port with its Durable Objects'
// state persisted in a directory. For the fault campaign (issue 12) it can be crashed, kill -9 of the
// workerd that runs the worker and then of wrangler's whole process tree, and started again on the same
// state and port, so that clients and link agents find it where it was.
import { readFileSync } from "node:fs";
import net from "node:net";
import { type Child, startChild, waitForHttp } from "./processes.js";
import { descendants } from "./proc-stats.js";

export interface ControlPlane {
  api: string;
  /** Starts wrangler dev and resolves once the worker answers; throws once stop() was called. */
  start(): Promise<void>;
  /** kill -9 of the worker's workerd, then of every other process of the tree; resolves once all are gone. */
  crash(): Promise<void>;
  /** For good: a later start() throws. */
  stop(): Promise<void>;
  /** stop() without waiting, for an exit hook. */
  kill(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"); } catch { return []; } };
/** Running (a zombie waiting for its parent, or for an init that reaps slowly, counts as gone). */
const alive = (pid: number) => { try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; } };

export function wranglerDev(opts: { port: number; persistTo: string; adminToken: string; logFile: string; logLevel?: string }): ControlPlane {
  const api = `http://127.0.0.1:${opts.port}`;
  let child: Child | undefined;
  // every process of the tree seen once it answered: one whose parent died first is still found
  let known: number[] = [];
  let stopped = false;
  const start = async () => {
    // stopped while a fault was restarting it: that start must not leave a tree behind
    if (stopped) throw new Error("the control plane was stopped");
    child = startChild("wrangler", process.execPath, [
      "node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--persist-to", opts.persistTo,
      "--var", `ADMIN_TOKEN:${opts.adminToken}`, "--var", `LOG_LEVEL:${opts.logLevel ?? "warn"}`, "--show-interactive-dev-session=false", "--log-level", "warn",
    ], { env: { WRANGLER_SEND_METRICS: "false" }, logFile: opts.logFile });
    const exited = new Promise<never>((_, reject) => child!.proc.once("exit", (code, signal) => reject(new Error(`wrangler dev exited (${signal ?? code}) before it answered; see ${opts.logFile}`))));
    await Promise.race([waitForHttp(`${api}/healthz`, 90_000), exited]);
    known = descendants(child.proc.pid!);
  };
  /** Synchronous (usable in an exit hook): kill -9 of the worker's workerd, then of the rest of the tree. */
  const killNow = (): number[] => {
    if (!child?.proc.pid) return [];
    // a known pid counts only while it is still one of ours (pids are reused)
    const ours = known.filter((p) => alive(p) && cmdline(p).join(" ").includes(process.cwd()));
    const tree = [...new Set([...descendants(child.proc.pid), ...ours])];
    // wrangler runs two workerds: its proxy, listening on our port, and the one that runs the worker
    const worker = tree.filter((p) => { const a = cmdline(p); return a[0]?.endsWith("/workerd") && !a.some((x) => x === `--socket-addr=entry=127.0.0.1:${opts.port}`); });
    for (const p of worker) { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
    for (const p of [child.proc.pid, ...tree.filter((p) => !worker.includes(p))]) { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
    return [child.proc.pid, ...tree];
  };
  const killTree = async () => {
    const all = killNow();
    const end = Date.now() + 10_000;
    while (all.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    child = undefined;
  };
  return {
    api,
    start,
    crash: killTree,
    // the state is persisted as it goes (a kill -9 is what the campaign survives): no need to be gentle
    stop: () => { stopped = true; return killTree(); },
    kill: () => { stopped = true; killNow(); },
  };
}
