// `tsx link-agent/src/main.ts --config <file>` (or LINK_AGENT_CONFIG=<file>): the on-prem link agent.
// Environment variables override the file (secrets usually come that way; see link-agent/README.md).
import { parseArgs } from "node:util";
import { type AgentConfig, loadConfig } from "./config.js";
import { type LinkAgent, startLinkAgent } from "./agent.js";
import { type Observability, startObservability } from "./http.js";

/** A start-up failure, as the one JSON line a log collector expects (the shape of log.ts). */
function fatal(msg: string): never {
  console.error(JSON.stringify({ level: "fatal", time: new Date().toISOString(), program: "link-agent", msg }));
  process.exit(1);
}

let agent: LinkAgent;
let observability: Observability | undefined;
let config: AgentConfig;
try {
  const { values } = parseArgs({ options: { config: { type: "string", default: process.env.LINK_AGENT_CONFIG } }, strict: true });
  config = loadConfig(values.config);
  agent = startLinkAgent(config);
} catch (err) {
  fatal((err as Error).message);
}
if (config.http) {
  const { host, port } = config.http;
  // the server is for operators: if its port is taken the agent still carries calls, and says so loudly
  startObservability(agent, { host, port, site: config.site, agentId: config.agentId }).then(
    (o) => {
      observability = o;
      agent.log.info({ url: `http://${host.includes(":") ? `[${host}]` : host}:${o.port}`, paths: ["/healthz", "/readyz", "/metrics"] }, "health and metrics server listening");
    },
    (err: Error) => agent.log.error({ host, port, err: err.message }, "health and metrics server could not listen: set http.port (or LINK_AGENT_HTTP_PORT)"),
  );
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  agent.log.info({ signal }, "stopping");
  await observability?.close();
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
