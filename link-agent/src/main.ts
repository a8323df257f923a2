// `tsx link-agent/src/main.ts --config <file>` (or LINK_AGENT_CONFIG=<file>): the on-prem link agent.
// Environment variables override the file (secrets usually come that way; see link-agent/README.md).
import { parseArgs } from "node:util";
import { loadConfig } from "./config.js";
import { type LinkAgent, startLinkAgent } from "./agent.js";

/** A start-up failure, as the one JSON line a log collector expects (pino's shape, level 60 fatal). */
function fatal(msg: string): never {
  console.error(JSON.stringify({ level: 60, time: Date.now(), program: "link-agent", msg }));
  process.exit(1);
}

let agent: LinkAgent;
try {
  const { values } = parseArgs({ options: { config: { type: "string", default: process.env.LINK_AGENT_CONFIG } }, strict: true });
  agent = startLinkAgent(loadConfig(values.config));
} catch (err) {
  fatal((err as Error).message);
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  agent.log.info({ signal }, "stopping");
  await agent.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
// every input path is guarded; should something slip through anyway, say so and let the supervisor restart
process.on("uncaughtException", (err) => {
  agent.log.fatal({ err: err.message, stack: err.stack }, "unexpected error: exiting");
  process.exit(1);
});
