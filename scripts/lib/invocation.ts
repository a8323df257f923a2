// The processes that wrap `npm start` for one invocation: tsx's CLI, npm's `sh -c`, npm itself. A kill -9
// of npm leaves sh, tsx and start.ts running (start.ts's own parent does not change), and a parent of npm
// that dies leaves npm running: either way the invocation has ended when one of them is gone or re-parented.
import { readFileSync } from "node:fs";

interface Proc { pid: number; ppid: number; start: string }

/** Linux /proc; null for a process that is gone or a zombie (dead, waiting to be reaped). */
function stat(pid: number): Proc | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    if (f[0] === "Z" || f[0] === "X") return null;
    // ppid is field 4 of proc(5), starttime field 22 (a pid reused by another process has another)
    return { pid, ppid: Number(f[1]), start: f[19]! };
  } catch {
    return null;
  }
}

const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "); } catch { return ""; } };
const WRAPPER = /^(npm|npx)( |$)|npm-cli\.js|\/tsx( |$)|tsx\/dist\/cli|scripts\/start\.ts/;

/** This process's wrappers, its parent first, up to the outermost (npm, or tsx when run directly). */
export function invocationChain(): Proc[] {
  const chain: Proc[] = [];
  let p = stat(process.ppid);
  while (p && p.pid > 1 && WRAPPER.test(cmdline(p.pid))) {
    chain.push(p);
    p = stat(p.ppid);
  }
  return chain;
}

/** The first wrapper that is gone or was re-parented (its parent died), or null while all stand. */
export function brokenLink(chain: Proc[]): Proc | null {
  for (const p of chain) {
    const now = stat(p.pid);
    if (!now || now.start !== p.start || now.ppid !== p.ppid) return p;
  }
  return null;
}
