// The switch-link server over a real TCP socket.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { control, LinkClient, sim } from "./helpers.js";

let s: Simulator;
let clients: LinkClient[] = [];
beforeEach(async () => { s = await sim(); clients = []; });
afterEach(async () => { for (const c of clients) c.close(); await s.stop(); });
const connect = async (cluster = "site-a") => {
  const c = await LinkClient.connect(s.clusters[cluster]!.linkPort);
  clients.push(c);
  return c;
};

describe("switch link", () => {
  it("refuses a wrong password and closes", async () => {
    const c = await connect();
    const answer = await c.hello("wrong");
    expect(answer).toEqual({ type: "error", message: "authentication failed: unknown application user or wrong password" });
    await c.waitClosed();
  });

  it("refuses an oversize frame with a clear error and keeps serving other links", async () => {
    const bad = await connect();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(5 * 1024 * 1024);
    bad.socket.write(header);
    expect((await bad.waitFor((f) => f.type === "error")).message).toMatch(/exceeds/);
    await bad.waitClosed();
    const good = await connect();
    expect((await good.hello()).type).toBe("welcome");
  });

  it("refuses malformed JSON and requests before hello", async () => {
    const c = await connect();
    const body = Buffer.from("{garbage");
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    c.socket.write(Buffer.concat([header, body]));
    expect((await c.waitFor((f) => f.type === "error")).message).toBe("frame is not valid JSON");
    const d = await connect();
    d.send({ type: "request", id: 1, op: "snapshot" });
    expect((await d.waitFor((f) => f.type === "error")).message).toBe("send hello first");
  });

  it("answers a snapshot, then sends every later event; the response comes before the events it caused", async () => {
    const c = await connect();
    expect(await c.hello()).toMatchObject({ type: "welcome", protocol: 1, cluster: "site-a", provider: "IN_SERVICE" });
    s.cluster("site-a").originate("1003", "1004", "cti");
    c.send({ type: "request", id: 1, op: "snapshot" });
    const snap = await c.waitFor((f) => f.type === "response" && f.id === 1);
    expect(snap.result.addresses).toHaveLength(9);
    expect(snap.result.addresses[0]).toEqual({ address: "1001", terminal: "SEP0000000A1001", kind: "phone", inService: true, terminalInService: true });
    expect(snap.result.calls).toHaveLength(1);
    expect(snap.result.calls[0].connections).toEqual([
      { address: "1003", state: "ESTABLISHED", terminalState: "TALKING" },
      { address: "1004", state: "ALERTING", terminalState: "RINGING" },
    ]);
    c.frames.length = 0;
    c.send({ type: "request", id: 2, op: "makeCall", from: "1001", to: "1002" });
    await c.waitFor((f) => f.type === "events" && f.events.some((e: any) => e.id === "CallCtlTermConnRingingEv"));
    expect(c.frames[0]).toMatchObject({ type: "response", id: 2, ok: true });
    expect(c.frames.slice(1).every((f) => f.type === "events")).toBe(true);
    c.send({ type: "request", id: 3, op: "answer", callId: c.frames[0].result.callId, address: "1001" });
    expect(await c.waitFor((f) => f.id === 3)).toMatchObject({ ok: false, error: { exception: "InvalidStateException" } });
    c.send({ type: "request", id: 4, op: "makeCall", from: "9999", to: "1002" });
    expect(await c.waitFor((f) => f.id === 4)).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException" } });
    c.send({ type: "request", id: 5, op: "makeCall", from: "1002", to: "55555" });
    expect(await c.waitFor((f) => f.id === 5)).toMatchObject({ ok: false, error: { exception: "InvalidPartyException" } });
    c.send({ type: "request", id: 6, op: "fly" });
    expect(await c.waitFor((f) => f.id === 6)).toMatchObject({ ok: false, error: { exception: "InvalidArgumentException" } });
    c.send({ type: "ping" });
    await c.waitFor((f) => f.type === "pong");
  });

  it("serves two links at once (primary and backup): both receive the events", async () => {
    const one = await connect();
    const two = await connect();
    for (const c of [one, two]) {
      await c.hello();
      c.send({ type: "request", id: 1, op: "snapshot" });
      await c.waitFor((f) => f.id === 1);
    }
    await control(s, "POST", "/clusters/site-a/devices/1001/offhook", { dial: "1002" });
    for (const c of [one, two]) await c.waitFor((f) => f.type === "events" && f.events.some((e: any) => e.id === "CallCtlConnAlertingEv"));
    expect(s.linkServer("site-a").connections()).toBe(2);
    expect(s.dropLinks("site-a")).toBe(2);
    await one.waitClosed();
  });
});
