// Structured logs: one JSON object per line, as Workers Logs and `wrangler tail` show them, in the same
// shape as the link agent's.
type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: number = order.info;

export function setLogLevel(level: string | undefined): void {
  if (level && level in order) threshold = order[level as Level];
}

function emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  // the link agent's shape (link-agent/src/log.ts): level, time, program, context, msg
  const line = JSON.stringify({ level, time: new Date().toISOString(), program: "worker", ...fields, msg });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => emit("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => emit("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => emit("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => emit("error", msg, fields),
};
