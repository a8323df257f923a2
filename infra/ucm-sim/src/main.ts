// `tsx infra/ucm-sim/src/main.ts --config <file>`: the simulated clusters as a program.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { startSimulator } from "./index.js";

const { values } = parseArgs({
  options: {
    config: { type: "string", default: "infra/ucm-sim/config/demo.json" },
    host: { type: "string", default: "127.0.0.1" },
    "control-port": { type: "string", default: "0" },
    "link-port": { type: "string", multiple: true, default: [] },
    "ready-file": { type: "string" },
  },
});
const log = pino({ level: process.env.LOG_LEVEL ?? "info", base: { program: "ucm-sim" } }, pino.destination(2));
try {
  const linkPorts = Object.fromEntries(values["link-port"]!.map((p) => {
    const [name, port] = p.split("=");
    if (!name || !port || !/^\d+$/.test(port)) throw new Error(`--link-port takes <cluster>=<port>, got "${p}"`);
    return [name, Number(port)];
  }));
  const sim = await startSimulator({ config: loadConfig(values.config!), host: values.host, controlPort: Number(values["control-port"]), linkPorts, log });
  const ready = { controlUrl: sim.controlUrl, clusters: sim.clusters };
  if (values["ready-file"]) writeFileSync(values["ready-file"], JSON.stringify(ready, null, 2));
  console.log(`ucm-sim ready ${JSON.stringify(ready)}`);
  const stop = async () => {
    await sim.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (err) {
  log.fatal(`ucm-sim could not start: ${(err as Error).message}`);
  process.exit(1);
}
