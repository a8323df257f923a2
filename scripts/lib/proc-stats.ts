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

/** Every descendant of a process, each child before its own children (Linux /proc). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try { tasks = readdirSync(`/proc/${p}/task`); } catch { return; }
    for (const t of tasks) {
      let children = "";
      try { children = readFileSync(`/proc/${p}/task/${t}/children`, "utf8"); } catch { continue; }
      for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) { out.push(c); visit(c); }
    }
  };
  visit(pid);
  return out;
}

/** Descendants of `root` running the program `name` (argv[0], not a script whose name contains it). */
export function descendantsNamed(root: number, name: string): number[] {
  return descendants(root).filter((pid) => {
    try { return (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "").split("/").at(-1) === name; } catch { return false; }
  });
}
