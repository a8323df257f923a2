// CPU time and memory of a process from Linux's /proc (the bench's per-process figures).
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcSample {
  pid: number;
  cpuSeconds: number;
  rssMB: number;
  peakRssMB: number;
}

export function sample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { pid, cpuSeconds, rssMB: kb("VmRSS") / 1024, peakRssMB: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** Descendants of `root` whose command line contains `name` (wrangler's workerd, say). */
export function descendantsNamed(root: number, name: string): number[] {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      cmd.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf8"));
    } catch { /* gone */ }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  // the program's own name (argv[0]), not a script's that contains it
  return [...cmd].filter(([pid, c]) => (c.split("\0")[0] ?? "").split("/").at(-1) === name && isDescendant(pid)).map(([pid]) => pid);
}
