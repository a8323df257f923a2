// `npx tsx scripts/profile-top.ts <file.cpuprofile> [--top 30]`: where a CPU profile's time goes, as
// text (self time per function, and total time per function including callees), for the bench's
// `--cpu-prof` output when Chrome DevTools is not at hand.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "30" } } });
if (positionals.length !== 1) {
  console.error("usage: tsx scripts/profile-top.ts <file.cpuprofile> [--top N]");
  process.exit(2);
}
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const profile = JSON.parse(readFileSync(positionals[0]!, "utf8")) as { nodes: Node[]; samples: number[] };
const top = Number(values.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const total = new Map<string, number>();
for (const id of profile.samples) {
  const leaf = byId.get(id)!;
  self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
  // a function counts once per sample however deep it recurses
  const onStack = new Set<string>();
  for (let n: Node | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) onStack.add(name(n));
  for (const k of onStack) total.set(k, (total.get(k) ?? 0) + 1);
}
const all = profile.samples.length;
const idle = [...self].filter(([k]) => k.startsWith("(idle)") || k.startsWith("(program)")).reduce((a, [, v]) => a + v, 0);
const pct = (v: number) => `${((100 * v) / all).toFixed(1).padStart(5)} %`;
console.log(`${all} samples, ${pct(all - idle)} busy`);
console.log("\nself time");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log("\ntotal time (with callees)");
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
