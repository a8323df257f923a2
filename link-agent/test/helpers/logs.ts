// A pino logger whose lines the test can read.
import { pino, type Logger } from "pino";
import { Writable } from "node:stream";

export type LogLine = Record<string, unknown> & { msg: string; level: number };

export function capturedLog(level = "debug"): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
