// A TFTP server (RFC 1350) as UCM's TFTP service: read requests only, octet or netascii, 512-byte
// blocks, each transfer from its own ephemeral port (its TID), a block resent until acknowledged.
import dgram from "node:dgram";
import type { Logger } from "pino";
import { BLOCK, dataPacket, ERR, errorPacket, OP, parseRequest, toNetascii } from "./tftp-packets.js";

export { BLOCK, OP, errorPacket } from "./tftp-packets.js";

/** What the server can hand out, by file name. */
export type TftpFiles = Map<string, Buffer> | ((name: string) => Buffer | undefined);

export interface TftpServerOptions {
  host?: string;
  /** 69 on UCM; 0 picks a free port. */
  port: number;
  files: TftpFiles;
  log?: Logger;
  /** How long to wait for an ACK before sending the block again. */
  timeoutMs?: number;
  /** Retransmissions of one block before the transfer is abandoned. */
  retries?: number;
}

export interface TftpServer {
  port: number;
  /** Transfers under way. */
  readonly active: number;
  close(): Promise<void>;
}

const lookup = (files: TftpFiles, name: string) => {
  const clean = name.replace(/^\/+/, ""); // clients often ask for "/CallManager.pem"
  return typeof files === "function" ? files(clean) : files.get(clean);
};

export async function startTftpServer(opts: TftpServerOptions): Promise<TftpServer> {
  const host = opts.host ?? "127.0.0.1";
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 5;
  const log = opts.log;
  const transfers = new Set<() => void>();
  const server = dgram.createSocket("udp4");
  server.on("error", (err) => log?.warn({ err: err.message }, "tftp: socket error"));

  server.on("message", (msg, peer) => {
    const reply = (packet: Buffer) => server.send(packet, peer.port, peer.address);
    const op = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
    if (op === OP.WRQ) return reply(errorPacket(ERR.ACCESS, "write requests are not accepted"));
    if (op !== OP.RRQ) return reply(errorPacket(ERR.ILLEGAL, "illegal TFTP operation"));
    const req = parseRequest(msg);
    if (!req) return reply(errorPacket(ERR.ILLEGAL, "malformed read request"));
    if (req.mode !== "octet" && req.mode !== "netascii") return reply(errorPacket(ERR.ILLEGAL, `transfer mode ${req.mode} not supported (octet or netascii)`));
    const file = lookup(opts.files, req.file);
    if (!file) {
      log?.info({ file: req.file, peer: peer.address }, "tftp: file not found");
      return reply(errorPacket(ERR.NOT_FOUND, "file not found"));
    }
    serve(req.file, req.mode === "netascii" ? toNetascii(file) : file, peer);
  });

  /** One transfer, from its own port: send a block, wait for its ACK, resend on timeout. */
  const serve = (name: string, data: Buffer, peer: dgram.RemoteInfo) => {
    const socket = dgram.createSocket("udp4");
    const lastBlock = Math.floor(data.length / BLOCK) + 1; // the last block is under 512 bytes, maybe empty
    let block = 1;
    let sent = 0;
    let timer: NodeJS.Timeout | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      transfers.delete(finish);
      try { socket.close(); } catch { /* already closed */ }
    };
    const sendBlock = () => {
      if (finished) return;
      if (sent++ > retries) {
        log?.warn({ file: name, peer: peer.address, block }, "tftp: transfer abandoned, block not acknowledged");
        return finish();
      }
      socket.send(dataPacket(block, data.subarray((block - 1) * BLOCK, block * BLOCK)), peer.port, peer.address);
      timer = setTimeout(sendBlock, timeoutMs);
    };
    socket.on("error", (err) => {
      log?.warn({ file: name, err: err.message }, "tftp: transfer socket error");
      finish();
    });
    socket.on("message", (msg, from) => {
      if (finished) return;
      if (from.port !== peer.port || from.address !== peer.address) {
        // RFC 1350: a packet from another TID gets an error, and this transfer goes on
        socket.send(errorPacket(ERR.UNKNOWN_TID, "unknown transfer ID"), from.port, from.address);
        return;
      }
      const op = msg.length >= 4 ? msg.readUInt16BE(0) : 0;
      if (op === OP.ERROR) return finish();
      // a duplicate ACK is ignored, never answered with a resend (the Sorcerer's Apprentice bug)
      if (op !== OP.ACK || msg.readUInt16BE(2) !== (block & 0xffff)) return;
      if (timer) clearTimeout(timer);
      if (block === lastBlock) {
        log?.info({ file: name, peer: peer.address, bytes: data.length }, "tftp: file sent");
        return finish();
      }
      block++;
      sent = 0;
      sendBlock();
    });
    transfers.add(finish);
    socket.bind(0, host, sendBlock);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.bind(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: server.address().port,
    get active() { return transfers.size; },
    close: () => new Promise((resolve) => {
      for (const finish of [...transfers]) finish();
      server.close(() => resolve());
    }),
  };
}
