// The simulator's TFTP server (RFC 1350), packet by packet, and with tools nobody here wrote.
import dgram from "node:dgram";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTftpServer, type TftpServer, type TftpFiles } from "../src/tls/tftp-server.js";
import { tftpGet } from "../../../link-agent/src/tls/tftp-client.js";

/** A bare UDP peer: sends packets, and hands over what comes back in order. */
async function peer() {
  const socket = dgram.createSocket("udp4");
  const inbox: Array<{ msg: Buffer; port: number }> = [];
  let wake: (() => void) | null = null;
  socket.on("message", (msg, from) => { inbox.push({ msg, port: from.port }); wake?.(); });
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  return {
    send: (packet: Buffer, port: number) => new Promise<void>((r) => socket.send(packet, port, "127.0.0.1", () => r())),
    async next(ms = 2000): Promise<{ msg: Buffer; port: number; op: number; block: number }> {
      const end = Date.now() + ms;
      while (inbox.length === 0) {
        if (Date.now() > end) throw new Error("no packet");
        await new Promise<void>((r) => { wake = r; setTimeout(r, 20); });
      }
      const p = inbox.shift()!;
      return { ...p, op: p.msg.readUInt16BE(0), block: p.msg.readUInt16BE(2) };
    },
    pending: () => inbox.length,
    close: () => socket.close(),
  };
}
const rrq = (file: string, mode = "octet") => Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${file}\0${mode}\0`, "latin1")]);
const ack = (block: number) => Buffer.from([0, 4, block >> 8, block & 0xff]);
const errText = (msg: Buffer) => msg.subarray(4, msg.length - 1).toString("ascii");

const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

let server: TftpServer | null = null;
const start = async (files: TftpFiles, extra: { timeoutMs?: number; retries?: number } = {}) => (server = await startTftpServer({ host: "127.0.0.1", port: 0, files, ...extra }));
afterEach(async () => { await server?.close(); server = null; });

describe("TFTP server (RFC 1350)", () => {
  it("serves files of every size in 512-byte blocks: empty, short, exact multiples of 512, many blocks", async () => {
    const sizes = [0, 1, 511, 512, 1024, 1300, 70_000];
    const files = new Map(sizes.map((n) => [`f${n}`, Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff))]));
    const s = await start(files);
    for (const [name, data] of files) expect((await tftpGet("127.0.0.1", s.port, name)).equals(data), name).toBe(true);
    await until(() => s.active === 0); // the last ACK may still be on its way
  });

  it("sends a file of exactly 1024 bytes as two full blocks and an empty third", async () => {
    const s = await start(new Map([["f", Buffer.alloc(1024, 1)]]));
    const p = await peer();
    await p.send(rrq("f"), s.port);
    const sizes: number[] = [];
    for (let block = 1; block <= 3; block++) {
      const d = await p.next();
      expect([d.op, d.block]).toEqual([3, block]);
      sizes.push(d.msg.length - 4);
      await p.send(ack(block), d.port);
    }
    expect(sizes).toEqual([512, 512, 0]);
    p.close();
  });

  it("answers each transfer from a new port of its own (its TID), and takes a file name function too", async () => {
    const s = await start((name) => (name === "CallManager.pem" ? Buffer.from("pem") : undefined));
    const p = await peer();
    await p.send(rrq("/CallManager.pem"), s.port); // a leading slash, as many clients send
    const first = await p.next();
    await p.send(rrq("CallManager.pem"), s.port);
    const second = await p.next();
    expect(first.op).toBe(3);
    expect(new Set([s.port, first.port, second.port]).size).toBe(3);
    p.close();
  });

  it("converts netascii line ends (LF -> CR LF, bare CR -> CR NUL)", async () => {
    const s = await start(new Map([["t", Buffer.from("a\nb\r\nc\rd")]]));
    const p = await peer();
    await p.send(rrq("t", "NetASCII"), s.port);
    const d = await p.next();
    expect(d.msg.subarray(4).toString("latin1")).toBe("a\r\nb\r\nc\r\0d");
    p.close();
  });

  it("answers with ERROR packets: file not found (1), write request (2), illegal operation or mode (4)", async () => {
    const s = await start(new Map());
    const p = await peer();
    const cases: Array<[Buffer, number]> = [
      [rrq("missing"), 1],
      [Buffer.concat([Buffer.from([0, 2]), Buffer.from("f\0octet\0")]), 2],
      [ack(1), 4],
      [Buffer.from([0, 9, 0, 0]), 4],
      [rrq("f", "mail"), 4],
      [Buffer.from([0, 1, 0x66]), 4], // no NUL-terminated fields
    ];
    for (const [packet, code] of cases) {
      await p.send(packet, s.port);
      const e = await p.next();
      expect([e.op, e.block], errText(e.msg)).toEqual([5, code]);
      expect(e.msg[e.msg.length - 1]).toBe(0); // the message is NUL-terminated
    }
    p.close();
  });

  it("resends a block until it is acknowledged (lost DATA or lost ACK), and ignores duplicate ACKs", async () => {
    const s = await start(new Map([["f", Buffer.alloc(1500, 2)]]), { timeoutMs: 100 });
    const p = await peer();
    await p.send(rrq("f"), s.port);
    const blocks: number[] = [];
    let d = await p.next();
    blocks.push(d.block);
    await p.send(ack(1), d.port);
    d = await p.next(); // block 2: "lost", no ACK
    blocks.push(d.block);
    d = await p.next(); // block 2 again after the timeout
    blocks.push(d.block);
    await p.send(ack(2), d.port);
    await p.send(ack(2), d.port); // a duplicate ACK must not make the server send block 3 twice
    d = await p.next();
    blocks.push(d.block);
    await p.send(ack(3), d.port);
    await new Promise((r) => setTimeout(r, 50));
    expect(blocks).toEqual([1, 2, 2, 3]);
    expect(p.pending()).toBe(0);
    await until(() => s.active === 0);
    p.close();
  });

  it("gives up a transfer after its retries", async () => {
    const s = await start(new Map([["f", Buffer.alloc(10)]]), { timeoutMs: 40, retries: 2 });
    const p = await peer();
    await p.send(rrq("f"), s.port);
    await new Promise((r) => setTimeout(r, 400));
    const copies: number[] = [];
    while (p.pending()) copies.push((await p.next()).block);
    expect(copies).toEqual([1, 1, 1]); // the first send and two retransmissions
    expect(s.active).toBe(0);
    p.close();
  });

  it("tells a stranger to a transfer ERROR 5 (unknown transfer ID) and carries on with its peer", async () => {
    const s = await start(new Map([["f", Buffer.alloc(600, 3)]]));
    const p = await peer();
    const stranger = await peer();
    await p.send(rrq("f"), s.port);
    const d1 = await p.next();
    await stranger.send(ack(1), d1.port);
    const e = await stranger.next();
    expect([e.op, e.block]).toEqual([5, 5]);
    await p.send(ack(1), d1.port);
    const d2 = await p.next();
    expect([d2.op, d2.block, d2.msg.length - 4]).toEqual([3, 2, 88]);
    p.close();
    stranger.close();
  });
});

const tftpClient = spawnSync("sh", ["-c", "command -v tftp"]).status === 0;
if (!tftpClient) console.warn("SKIPPED: the tftp-hpa client is not installed (apt-get install tftp-hpa): the interoperability check did not run");

describe("TFTP server against tftp-hpa", () => {
  it.skipIf(!tftpClient)(`the tftp-hpa client fetches a file from the simulator's TFTP server, binary and ascii${tftpClient ? "" : " [SKIPPED: tftp-hpa not installed]"}`, async () => {
    const pem = Buffer.from(`-----BEGIN CERTIFICATE-----\n${"QUJD".repeat(400)}\n-----END CERTIFICATE-----\n`);
    const s = await start(new Map([["CallManager.pem", pem]]));
    const dir = mkdtempSync(join(tmpdir(), "tftp-hpa-"));
    // asynchronously: the server answers from this very process
    const get = (mode: string, target: string) => new Promise<string>((resolve) => {
      const child = spawn("tftp", ["-m", mode, "127.0.0.1", String(s.port), "-c", "get", "CallManager.pem", target], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (out += c));
      child.on("exit", (code) => resolve(`exit ${code} ${out}`));
    });
    expect(await get("binary", join(dir, "bin.pem"))).toBe("exit 0 ");
    expect(readFileSync(join(dir, "bin.pem")).equals(pem)).toBe(true);
    expect(await get("ascii", join(dir, "ascii.pem"))).toBe("exit 0 "); // netascii, converted back to LF by the client
    expect(readFileSync(join(dir, "ascii.pem")).equals(pem)).toBe(true);
  });
});
