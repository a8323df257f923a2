// Child processes of `npm start` and the end-to-end suite: prefixed output, readiness, clean stop.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Resolves with the first output line matching the pattern. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startChild(name: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; echo?: boolean; cwd?: string; logFile?: string } = {}): Child {
  const proc = spawn(command, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : null;
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (!line) continue;
      lines.push(line);
      log?.write(line + "\n");
      if (lines.length > 2000) lines.shift();
      if (opts.echo) process.stdout.write(`[${name}] ${line}\n`);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    name,
    proc,
    waitFor(pattern, ms = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${pattern} within ${ms} ms; last output:\n${lines.slice(-20).join("\n")}`)), ms);
        proc.once("exit", (code) => reject(new Error(`${name} exited (${code}) before ${pattern}; last output:\n${lines.slice(-20).join("\n")}`)));
        waiters.push({ pattern, resolve: (line) => { clearTimeout(timer); resolve(line); } });
      });
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitForHttp(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
