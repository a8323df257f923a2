// npm run fuzz -- --runs 10000 [--seed N] [--only api,uplink,switchLink,capf,tftp]
// Starts the whole system (simulator, workerd, link agents) like the end-to-end suite, fuzzes every
// parser a peer can reach (test/fuzz/campaign.ts), prints per target the cases, 5xx, hangs and other
// failures, then checks that a real call still works. Exit code 1 on any defect.
import { startStack } from "../test/e2e/harness.js";
import { callStillWorks, TARGETS, type TargetResult } from "../test/fuzz/campaign.js";

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const runs = Number(arg("runs") ?? 1000);
const seed = arg("seed") === undefined ? Date.now() % 1_000_000 : Number(arg("seed"));
const only = arg("only")?.split(",");

process.env.WRANGLER_SEND_METRICS = "false";
const stack = await startStack({ tenant: "demo" });
console.log(`fuzzing with ${runs} cases per target, seed ${seed} (repeat with --seed ${seed})`);
const results: TargetResult[] = [];
let failed = false;
try {
  for (const [name, target] of Object.entries(TARGETS)) {
    if (only && !only.includes(name)) continue;
    const started = Date.now();
    const r = await target(stack, runs, seed);
    results.push(r);
    failed ||= r.fivexx + r.hangs + r.other > 0;
    console.log(`${r.target.padEnd(20)} ${String(r.cases).padStart(7)} cases   5xx ${r.fivexx}   hangs ${r.hangs}   other ${r.other}   ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const e of r.examples) console.log(`    e.g. ${e}`);
  }
  const callError = await callStillWorks(stack);
  console.log(callError ? `a call afterwards: FAILED (${callError})` : "a call afterwards: ok (1001 -> 1002 dialing, ringing, established, released)");
  failed ||= callError !== null;
  const workerd = await fetch(`${stack.api}/v1/openapi.json`).then((r) => r.status).catch(() => 0);
  console.log(`workerd still answering: ${workerd === 200 ? "yes" : `NO (${workerd})`}`);
  failed ||= workerd !== 200;
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
