// `npm run sim:cli -- <action> <cluster> <dn> [--dial N]`: act as the person at a phone.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const usage = `usage: npm run sim:cli -- <action> <cluster> <dn|number> [--dial <number>] [--control <url>]
  actions on a device:  offhook (with --dial), dial (--dial), answer, hangup, hold, retrieve,
                        out-of-service, in-service, show
  on a remote destination (a mobile phone):  rd-answer, rd-hangup
  e.g. npm run sim:cli -- offhook site-a 1001 --dial 1002`;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dial: { type: "string" }, control: { type: "string" }, help: { type: "boolean" } } });
const [action, cluster, dn] = positionals;
if (values.help || !action || !cluster || !dn) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
let control = values.control ?? process.env.UCM_SIM_CONTROL;
if (!control) {
  try { control = JSON.parse(readFileSync(".local/demo.json", "utf8")).sim.control as string; } catch { /* below */ }
}
if (!control) {
  console.error("no simulator control URL: pass --control, set UCM_SIM_CONTROL, or run `npm start` (it writes .local/demo.json)");
  process.exit(2);
}
const base = `${control}/clusters/${encodeURIComponent(cluster)}`;
const request = action === "show"
  ? { method: "GET", url: `${base}/devices/${encodeURIComponent(dn)}` }
  : action === "rd-answer" || action === "rd-hangup"
    ? { method: "POST", url: `${base}/remote-destinations/${encodeURIComponent(dn)}/${action.slice(3)}` }
    : { method: "POST", url: `${base}/devices/${encodeURIComponent(dn)}/${action}`, body: action === "dial" ? { number: values.dial } : values.dial ? { dial: values.dial } : {} };
const res = await fetch(request.url, { method: request.method, headers: { "content-type": "application/json" }, body: "body" in request ? JSON.stringify(request.body) : undefined });
const text = await res.text();
console.log(res.ok ? text : `HTTP ${res.status}: ${text}`);
process.exit(res.ok ? 0 : 1);
