// The cluster's security services: TFTP, CAPF enrollment, and the CTIManager's TLS port.
import dgram from "node:dgram";
import tls from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { Simulator } from "../src/index.js";
import { TRUST_FILE } from "../src/index.js";
import { startTftpServer } from "../src/tls/tftp-server.js";
import { tftpGet } from "../../../link-agent/src/tls/tftp-client.js";
import { enroll } from "../../../link-agent/src/tls/capf-client.js";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";
import { sim } from "./helpers.js";

const log = pino({ level: "silent" });

describe("TFTP server (RFC 1350)", () => {
  it("serves files of any size in 512-byte blocks, and refuses what it should", async () => {
    const files: Record<string, Buffer> = { empty: Buffer.alloc(0), exact: Buffer.alloc(1024, 7), odd: Buffer.from("x".repeat(1300)) };
    const server = await startTftpServer({ host: "127.0.0.1", port: 0, files: (n) => files[n], log });
    try {
      for (const [name, data] of Object.entries(files)) expect((await tftpGet("127.0.0.1", server.port, name)).equals(data)).toBe(true);
      await expect(tftpGet("127.0.0.1", server.port, "nope")).rejects.toThrow(/TFTP error 1 .*file not found/);
      // a write request is refused with an ERROR packet (code 2)
      const socket = dgram.createSocket("udp4");
      const reply = await new Promise<Buffer>((resolve) => {
        socket.on("message", resolve);
        socket.send(Buffer.concat([Buffer.from([0, 2]), Buffer.from("f\0octet\0")]), server.port, "127.0.0.1");
      });
      socket.close();
      expect([reply.readUInt16BE(0), reply.readUInt16BE(2)]).toEqual([5, 2]);
    } finally {
      await server.close();
    }
  });

  it("retransmits a block whose acknowledgement was lost", async () => {
    const data = Buffer.alloc(1500, 1);
    const server = await startTftpServer({ host: "127.0.0.1", port: 0, files: () => data, log, timeoutMs: 100 });
    try {
      const socket = dgram.createSocket("udp4");
      const blocks: number[] = [];
      let dropped = false;
      await new Promise<void>((resolve) => {
        socket.on("message", (msg, from) => {
          const block = msg.readUInt16BE(2);
          blocks.push(block);
          if (block === 2 && !dropped) { dropped = true; return; } // lose the first ACK of block 2
          socket.send(Buffer.from([0, 4, msg[2]!, msg[3]!]), from.port, from.address, () => {
            if (msg.length - 4 < 512) resolve();
          });
        });
        socket.send(Buffer.concat([Buffer.from([0, 1]), Buffer.from("any\0octet\0")]), server.port, "127.0.0.1");
      });
      socket.close();
      expect(blocks).toEqual([1, 2, 2, 3]);
    } finally {
      await server.close();
    }
  });
});

describe("CAPF and the CTIManager TLS port", () => {
  let s: Simulator;
  beforeEach(async () => { s = await sim(); });
  afterEach(async () => { await s.stop(); });

  const trusted = () => s.tls("site-a")!.pki.trustFile.toString();
  const capf = () => ({ host: "127.0.0.1", port: s.clusters["site-a"]!.tls!.capfPort, trustedPem: trusted() });

  it("serves the CallManager certificate over TFTP", async () => {
    const file = await tftpGet("127.0.0.1", s.clusters["site-a"]!.tls!.tftpPort, TRUST_FILE);
    expect(file.toString()).toContain("BEGIN CERTIFICATE");
    expect(file.equals(s.tls("site-a")!.pki.trustFile)).toBe(true);
  });

  it("enrolls once per authorization code, and refuses wrong and reused codes", async () => {
    const cert = await enroll({ ...capf(), instanceId: "tserver-a-link-1", authCode: "capf-a-1-2026" });
    expect(cert.certPem).toContain("BEGIN CERTIFICATE");
    await expect(enroll({ ...capf(), instanceId: "tserver-a-link-1", authCode: "capf-a-1-2026" })).rejects.toThrow(/already used/);
    await expect(enroll({ ...capf(), instanceId: "tserver-a-link-2", authCode: "wrong" })).rejects.toThrow(/wrong authorization code/);
    await expect(enroll({ ...capf(), instanceId: "nobody", authCode: "x" })).rejects.toThrow(/no CAPF profile/);
    expect([...s.tls("site-a")!.capf.issued.values()]).toEqual(["tserver-a-link-1"]);
  });

  it("lets an enrolled link in, refuses one without a certificate, and invalidates a certificate used twice at once", async () => {
    const { keyPem, certPem } = await enroll({ ...capf(), instanceId: "tserver-a-link-2", authCode: "capf-a-2-2026" });
    const port = s.clusters["site-a"]!.tls!.linkPort;
    const open = (withCert: boolean) => new Promise<{ socket: tls.TLSSocket; frames: any[]; closed: Promise<void> }>((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ca: trusted(), ...(withCert ? { key: keyPem, cert: certPem } : {}) });
      const frames: any[] = [];
      const decoder = new FrameDecoder();
      const closed = new Promise<void>((r) => socket.on("close", () => r()));
      socket.on("data", (c) => frames.push(...decoder.push(c)));
      socket.on("error", () => {});
      socket.once("secureConnect", () => resolve({ socket, frames, closed }));
      socket.once("error", reject);
    });
    const first = await open(true);
    first.socket.write(encodeFrame({ type: "hello", protocol: 1, user: "tserver", password: "ctimanager-demo-a", application: "t", link: "link-2" }));
    await new Promise((r) => setTimeout(r, 100));
    expect(first.frames[0]).toMatchObject({ type: "welcome", cluster: "site-a" });

    const anonymous = await open(false).catch(() => null);
    if (anonymous) await anonymous.closed; // TLS 1.3 reports the refused client certificate after the handshake

    const second = await open(true).catch(() => null);
    if (second) await second.closed;
    await first.closed;
    expect(s.tls("site-a")!.ctiManager.revoked.size).toBe(1);
    const third = await open(true).catch(() => null);
    if (third) await third.closed;
  });
});
