// Structured logs: one JSON line per event of interest, on stderr. Secrets never leave the process:
// whatever path a password, key or auth code sits at in a log object, pino replaces it.
import { pino, type DestinationStream, type Logger } from "pino";

export const REDACTED_PATHS = [
  "password", "linkKey", "authCode", "authorization", "*.password", "*.linkKey", "*.authCode", "*.authorization",
  "*[\"tls-auth-code\"]", "*.*[\"tls-auth-code\"]", "headers.authorization", "links[*].password", "controlPlane.linkKey",
];

/**
 * One line shape for the worker and the agent (worker/src/log.ts; docs/deploying.md "Observe"):
 * {"level":"info","time":"<ISO 8601>","program":"link-agent",...context,"msg":"..."}.
 */
export function createLogger(level: string, base: Record<string, string>, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({
    level,
    base: { program: "link-agent", ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: "[secret]" },
  }, destination);
}
