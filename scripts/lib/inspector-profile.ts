// A CPU profile of the worker's isolate (the Worker and its Durable Objects run in one isolate under
// `wrangler dev`), taken through wrangler's DevTools inspector with the Chrome DevTools Protocol's
// Profiler domain. The file opens in Chrome DevTools like `node --cpu-prof`'s.
import { writeFileSync } from "node:fs";
import { WebSocket } from "ws";

export interface IsolateProfiler {
  stop(file: string): Promise<void>;
}

export async function profileIsolate(inspectorPort: number): Promise<IsolateProfiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspectable worker at port ${inspectorPort}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  let id = 0;
  const pending = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) => new Promise<any>((resolve, reject) => {
    const mine = ++id;
    pending.set(mine, { resolve, reject });
    ws.send(JSON.stringify({ id: mine, method, params }));
  });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 500 });
  await call("Profiler.start");
  return {
    async stop(file) {
      const { profile } = await call("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      ws.close();
    },
  };
}
