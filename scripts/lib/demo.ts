// What scripts need of the running demo: .local/demo.json and a client of the API.
import { readFileSync } from "node:fs";
import { WebSocket } from "undici";
import { TServerClient, type WebSocketCtor } from "../../shared/client.js";
import type { TEvent } from "../../shared/client-api.js";

export interface Demo {
  api: string;
  web: string;
  adminToken: string;
  tenant: string;
  keys: { client: string; config: string; link: Record<string, string> };
  sim: { control: string };
  sites: Record<string, { dns: Array<{ number: string; type: string; switchSpecificType?: number; kind?: string }> }>;
}

export function readDemo(): Demo {
  try {
    return JSON.parse(readFileSync(".local/demo.json", "utf8")) as Demo;
  } catch {
    console.error("no .local/demo.json: start the system first with `npm start`");
    process.exit(2);
  }
}

export function demoClient(demo: Demo): TServerClient {
  return new TServerClient({ api: demo.api, key: demo.keys.client, WebSocket: WebSocket as unknown as WebSocketCtor });
}

/** One line a person can read: seq, time, event, then the attributes that matter. */
export function formatEvent(e: TEvent): string {
  const { event, seq, time, site, ...rest } = e;
  const attrs = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
  return `#${String(seq ?? "-").padStart(4)} ${time?.slice(11, 23) ?? ""} ${site ?? ""} ${event.padEnd(22)} ${attrs}`;
}
