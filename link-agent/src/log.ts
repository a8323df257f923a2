// Structured logs: one JSON line per event of interest, on stderr. Secrets never leave the process:
// whatever path a password, key or auth code sits at in a log object, pino replaces it.
import { pino, type DestinationStream, type Logger } from "pino";

export const REDACTED_PATHS = [
  "password", "linkKey", "authCode", "authorization", "*.password", "*.linkKey", "*.authCode", "*.authorization",
  "*[\"tls-auth-code\"]", "*.*[\"tls-auth-code\"]", "headers.authorization", "links[*].password", "controlPlane.linkKey",
];

export function createLogger(level: string, base: Record<string, string>, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { program: "link-agent", ...base }, redact: { paths: REDACTED_PATHS, censor: "[secret]" } }, destination);
}
