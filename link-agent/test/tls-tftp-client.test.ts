// The agent's TFTP client: against a scripted server that loses packets, against the simulator's
// server, and against tftpd-hpa (a server nobody here wrote).
import dgram from "node:dgram";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TftpError, tftpGet } from "../src/tls/tftp-client.js";
import { startTftpServer } from "../../infra/ucm-sim/src/tls/tftp-server.js";

type Step = (msg: Buffer, from: dgram.RemoteInfo, transfer: dgram.Socket, seen: Buffer[]) => void;
/** A scripted server: `step` sees every packet the client sends (to the main port or the transfer port). */
async function scripted(step: Step) {
  const main = dgram.createSocket("udp4");
  const transfer = dgram.createSocket("udp4");
  const seen: Buffer[] = [];
  const on = (msg: Buffer, from: dgram.RemoteInfo) => { seen.push(msg); step(msg, from, transfer, seen); };
  main.on("message", on);
  transfer.on("message", on);
  await Promise.all([main, transfer].map((s) => new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))));
  return { port: main.address().port, seen, close: () => { main.close(); transfer.close(); } };
}
const data = (block: number, bytes: Buffer) => Buffer.concat([Buffer.from([0, 3, block >> 8, block & 0xff]), bytes]);
const ops = (seen: Buffer[]) => seen.map((m) => `${["", "RRQ", "WRQ", "DATA", "ACK", "ERROR"][m.readUInt16BE(0)]}${m.readUInt16BE(0) === 1 ? "" : m.readUInt16BE(2)}`);

describe("TFTP client", () => {
  it("fetches files of every size from the simulator's TFTP server", async () => {
    const files = new Map([0, 100, 512, 1024, 5000].map((n) => [`f${n}`, Buffer.alloc(n, n & 0xff)]));
    const server = await startTftpServer({ port: 0, files });
    try {
      for (const [name, content] of files) expect((await tftpGet("127.0.0.1", server.port, name)).equals(content), name).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("sends its read request again when it is lost, and its ACK again when the next block does not come", async () => {
    const s = await scripted((msg, from, transfer, seen) => {
      const op = msg.readUInt16BE(0);
      if (op === 1 && seen.length === 1) return; // the first request is "lost"
      if (op === 1) return transfer.send(data(1, Buffer.alloc(512, 1)), from.port, from.address);
      if (op === 4 && msg.readUInt16BE(2) === 1 && seen.filter((m) => m.readUInt16BE(0) === 4).length === 1) return; // first ACK 1 "lost"
      if (op === 4 && msg.readUInt16BE(2) === 1) return transfer.send(data(2, Buffer.from("end")), from.port, from.address);
    });
    try {
      const got = await tftpGet("127.0.0.1", s.port, "f", { timeoutMs: 80 });
      expect(got.length).toBe(515);
      await new Promise((r) => setTimeout(r, 20));
      expect(ops(s.seen)).toEqual(["RRQ", "RRQ", "ACK1", "ACK1", "ACK2"]);
    } finally {
      s.close();
    }
  });

  it("acknowledges a block sent twice again, without taking its data twice", async () => {
    const s = await scripted((msg, from, transfer) => {
      if (msg.readUInt16BE(0) !== 1) return;
      transfer.send(data(1, Buffer.alloc(512, 7)), from.port, from.address);
      transfer.send(data(1, Buffer.alloc(512, 7)), from.port, from.address);
      setTimeout(() => transfer.send(data(2, Buffer.alloc(0)), from.port, from.address), 30);
    });
    try {
      expect((await tftpGet("127.0.0.1", s.port, "f")).length).toBe(512);
      await new Promise((r) => setTimeout(r, 20));
      expect(ops(s.seen)).toEqual(["RRQ", "ACK1", "ACK1", "ACK2"]);
    } finally {
      s.close();
    }
  });

  it("reports the server's ERROR packet, gives up after its retries, and refuses an oversized file", async () => {
    const server = await startTftpServer({ port: 0, files: new Map([["big", Buffer.alloc(3000)]]) });
    const silent = await scripted(() => {});
    try {
      await expect(tftpGet("127.0.0.1", server.port, "nope")).rejects.toMatchObject({ code: 1, message: expect.stringMatching(/TFTP error 1 .* for nope: file not found/) });
      const started = Date.now();
      const timeout = tftpGet("127.0.0.1", silent.port, "f", { timeoutMs: 50, retries: 3 });
      await expect(timeout).rejects.toBeInstanceOf(TftpError);
      await expect(timeout).rejects.toThrow(/no answer from 127\.0\.0\.1:\d+ for f after 3 retries/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(silent.seen.length).toBe(4);
      await expect(tftpGet("127.0.0.1", server.port, "big", { maxBytes: 2000 })).rejects.toThrow(/larger than 2000 bytes/);
    } finally {
      await server.close();
      silent.close();
    }
  });

  it("answers a packet from a stranger with ERROR 5 and goes on with its transfer", async () => {
    const stranger = dgram.createSocket("udp4");
    const strangerGot: Buffer[] = [];
    stranger.on("message", (m) => strangerGot.push(m));
    await new Promise<void>((r) => stranger.bind(0, "127.0.0.1", () => r()));
    const s = await scripted((msg, from, transfer) => {
      if (msg.readUInt16BE(0) === 1) {
        transfer.send(data(1, Buffer.alloc(512)), from.port, from.address);
        stranger.send(data(2, Buffer.from("forged")), from.port, from.address);
      }
      if (msg.readUInt16BE(0) === 4 && msg.readUInt16BE(2) === 1) setTimeout(() => transfer.send(data(2, Buffer.from("real")), from.port, from.address), 30);
    });
    try {
      const got = await tftpGet("127.0.0.1", s.port, "f");
      expect(got.subarray(512).toString()).toBe("real");
      expect(strangerGot.map((m) => [m.readUInt16BE(0), m.readUInt16BE(2)])).toEqual([[5, 5]]);
    } finally {
      s.close();
      stranger.close();
    }
  });
});

const tftpd = ["/usr/sbin/in.tftpd", "/usr/sbin/tftpd"].find((p) => existsSync(p));
if (!tftpd) console.warn("SKIPPED: tftpd-hpa is not installed (apt-get install tftpd-hpa): the interoperability check did not run");

describe("TFTP client against tftpd-hpa", () => {
  it.skipIf(!tftpd)(`the agent's TFTP client fetches a certificate file from tftpd-hpa${tftpd ? "" : " [SKIPPED: tftpd-hpa not installed]"}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tftpd-"));
    chmodSync(dir, 0o755); // tftpd-hpa serves only world-readable files, after dropping to --user
    const content = Buffer.from(`-----BEGIN CERTIFICATE-----\n${"QUJD".repeat(700)}\n-----END CERTIFICATE-----\n`); // 6 blocks
    writeFileSync(join(dir, "CallManager.pem"), content, { mode: 0o644 });
    const probe = dgram.createSocket("udp4");
    const port = await new Promise<number>((r) => probe.bind(0, "127.0.0.1", () => r(probe.address().port)));
    probe.close();
    const child = spawn(tftpd!, ["-L", "-a", `127.0.0.1:${port}`, "-s", dir, "-u", userInfo().username], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    try {
      // the client resends its request until tftpd-hpa is listening
      const got = await Promise.race([
        tftpGet("127.0.0.1", port, "CallManager.pem", { timeoutMs: 200, retries: 20 }),
        exited.then((code) => { throw new Error(`in.tftpd exited (${code}): ${stderr}`); }),
      ]);
      expect(got.equals(content)).toBe(true);
      await expect(tftpGet("127.0.0.1", port, "absent.pem")).rejects.toMatchObject({ code: 1 });
    } finally {
      child.kill();
      await exited;
    }
  });
});
