// The bench's baseline: a bare relay of the same JTAPI events, with nothing of the T-Server in between.
// `tsx scripts/lib/bench-relay.ts <host> <port> <user> <password>`: one switch link (hello, snapshot),
// every event frame passed as it is to each WebSocket client, each client request passed to the switch
// with its answer passed back. It prints "relay ready <port>" once the link observes.
import net from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeFrame, FrameDecoder } from "../../shared/node/framing.js";

const [host, port, user, password] = process.argv.slice(2);
const clients = new Set<WebSocket>();
const pending = new Map<number, { ws: WebSocket; id: unknown }>();
let nextId = 1;
const decoder = new FrameDecoder();
const socket = net.connect({ host: host!, port: Number(port) });
socket.setNoDelay(true);
socket.on("connect", () => socket.write(encodeFrame({ type: "hello", protocol: 1, user, password, application: "bench relay", link: "link-1" })));
socket.on("data", (chunk: Buffer) => {
  for (const frame of decoder.push(chunk) as Array<{ type: string; id?: number; more?: boolean; events?: unknown[] }>) {
    if (frame.type === "welcome") socket.write(encodeFrame({ type: "request", id: 0, op: "snapshot" }));
    else if (frame.type === "response" && frame.id === 0) {
      if (!frame.more) void listening.then(() => console.log(`relay ready ${(wss.address() as net.AddressInfo).port}`));
    } else if (frame.type === "response") {
      const p = pending.get(frame.id!);
      pending.delete(frame.id!);
      if (p) p.ws.send(JSON.stringify({ ...frame, id: p.id }));
    } else if (frame.type === "events") {
      const text = JSON.stringify(frame.events);
      for (const ws of clients) ws.send(text);
    } else if (frame.type === "ping") socket.write(encodeFrame({ type: "pong" }));
  }
});
socket.on("close", () => process.exit(1));

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
const listening = new Promise((resolve) => wss.once("listening", resolve));
wss.on("connection", (ws) => {
  clients.add(ws);
  ws.on("close", () => clients.delete(ws));
  ws.on("message", (data) => {
    const { id, ...op } = JSON.parse(data.toString()) as { id: unknown };
    const mine = nextId++;
    pending.set(mine, { ws, id });
    socket.write(encodeFrame({ type: "request", id: mine, ...op }));
  });
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
