// `tsx link-agent/src/main.ts --config <file>`: the on-prem link agent.
import { parseArgs } from "node:util";
import { loadConfig } from "./config.js";
import { startLinkAgent } from "./agent.js";

const { values } = parseArgs({ options: { config: { type: "string", default: process.env.LINK_AGENT_CONFIG } } });
let agent: ReturnType<typeof startLinkAgent>;
try {
  agent = startLinkAgent(loadConfig(values.config));
} catch (err) {
  console.error(JSON.stringify({ level: 60, program: "link-agent", msg: (err as Error).message }));
  process.exit(1);
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
