// A switch link against the real simulator over TCP, and against a misbehaving switch.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator } from "../../infra/ucm-sim/src/index.js";
import type { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import { SwitchLinkClient } from "../src/switch-link-client.js";

const log = pino({ level: "silent" });
const until = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

let sim: Simulator | undefined;
let client: SwitchLinkClient | undefined;
let server: net.Server | undefined;
const sockets = new Set<net.Socket>();
afterEach(async () => {
  client?.stop();
  await sim?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => (server ? server.close(r) : r(null)));
  sim = undefined; client = undefined; server = undefined;
});

function open(port: number, password = "ctimanager-demo-a") {
  const seen = { ups: [] as Snapshot[], events: [] as JtapiEvent[], downs: [] as string[] };
  client = new SwitchLinkClient("link-1", {
    user: "tserver", password, application: "test", connect: SwitchLinkClient.tcp("127.0.0.1", port), log,
    backoff: { minMs: 20, maxMs: 50 },
    handlers: { onUp: (s) => seen.ups.push(s), onEvents: (e) => seen.events.push(...e), onDown: (r) => seen.downs.push(r) },
  });
  client.start();
  return seen;
}

describe("switch link client", () => {
  it("comes up with a snapshot, carries requests and events, and reconnects after the switch drops it", async () => {
    sim = await startSimulator({ config: JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8")) });
    const seen = open(sim.clusters["site-a"]!.linkPort);
    await until(() => seen.ups.length === 1, "link up");
    expect(seen.ups[0]!.addresses.map((a) => a.address)).toContain("1001");
    const answer = await client!.request({ op: "makeCall", from: "1001", to: "1002" });
    expect(answer.ok).toBe(true);
    await until(() => seen.events.some((e) => e.id === "CallCtlConnAlertingEv"), "alerting");
    const refused = await client!.request({ op: "hold", callId: "nope", address: "1001" });
    expect(refused).toMatchObject({ ok: false, error: { exception: "InvalidStateException" } });
    sim.dropLinks("site-a");
    await until(() => seen.downs.length === 1 && seen.ups.length === 2, "down, then up again");
    expect(seen.ups[1]!.calls).toHaveLength(1);
  });

  it("is refused with a wrong password and keeps retrying without coming up", async () => {
    sim = await startSimulator({ config: JSON.parse(readFileSync(new URL("../../infra/ucm-sim/config/demo.json", import.meta.url), "utf8")) });
    const seen = open(sim.clusters["site-a"]!.linkPort, "wrong");
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.ups).toEqual([]);
    expect(client!.isUp).toBe(false);
  });

  it("drops a link whose switch sends an oversize frame, without crashing", async () => {
    let connections = 0;
    server = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(64 * 1024 * 1024);
      socket.write(header);
      socket.on("error", () => {});
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const seen = open((server.address() as net.AddressInfo).port);
    await until(() => connections >= 2, "a retry after the bad frame");
    expect(seen.ups).toEqual([]);
  });
});
