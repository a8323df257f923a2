// The undertaker of `npm start`: a separate process that holds a pipe from it. When the pipe closes —
// npm start ended, crashed, or was killed with SIGKILL — it ends every child process npm start named
// (one pid per line): SIGTERM, then SIGKILL after 5 s. A clean stop has ended them already. A line
// `demo <path>` names the demo.json npm start wrote: it names a running system, so it is moved aside
// (to demo.last.json beside it) as npm start's own stop does.
import { renameSync } from "node:fs";
import { dirname, join } from "node:path";

const pids = new Set();
let demo = null;
let rest = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  const lines = (rest + chunk).split("\n");
  rest = lines.pop() ?? "";
  for (const line of lines) {
    if (/^\d+$/.test(line.trim())) pids.add(Number(line.trim()));
    else if (line.startsWith("demo ")) demo = line.slice(5);
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
process.stdin.on("close", () => {
  if (demo) { try { renameSync(demo, join(dirname(demo), "demo.last.json")); } catch { /* moved by a clean stop */ } }
  const left = [...pids].filter(alive);
  for (const pid of left) { try { process.kill(pid, "SIGTERM"); } catch { /* gone */ } }
  const deadline = Date.now() + 5000;
  const check = setInterval(() => {
    const still = left.filter(alive);
    if (still.length === 0 || Date.now() > deadline) {
      for (const pid of still) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
});
// the terminal going away must not take the reaper before it has done its work
for (const signal of ["SIGHUP", "SIGINT", "SIGTERM"]) process.on(signal, () => {});
