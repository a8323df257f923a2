import { pino, type Logger } from "pino";

/** Structured logs on stderr; secrets never leave the process. */
export function createLogger(level: string, base: Record<string, string>): Logger {
  return pino({
    level,
    base: { program: "link-agent", ...base },
    redact: { paths: ["password", "linkKey", "authCode", "*.password", "*.linkKey", "*.authCode", "*[\"tls-auth-code\"]", "headers.authorization"], censor: "[secret]" },
  }, pino.destination(2));
}
