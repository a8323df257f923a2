// A TFTP server (RFC 1350): read requests only, 512-byte blocks, one ephemeral port (TID) per
// transfer, retransmission on timeout. UCM's TFTP service hands out the cluster's certificates.
import dgram from "node:dgram";
import type { Logger } from "pino";

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5 } as const;
export const BLOCK = 512;

export function errorPacket(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([0, OP.ERROR, 0, code]), Buffer.from(message, "ascii"), Buffer.from([0])]);
}

function dataPacket(block: number, data: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(OP.DATA, 0);
  header.writeUInt16BE(block & 0xffff, 2);
  return Buffer.concat([header, data]);
}

export interface TftpServer {
  port: number;
  close(): Promise<void>;
}

export async function startTftpServer(opts: {
  host: string; port: number; files: (name: string) => Buffer | undefined; log: Logger; timeoutMs?: number; retries?: number;
}): Promise<TftpServer> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 5;
  const transfers = new Set<() => void>();
  const server = dgram.createSocket("udp4");

  server.on("message", (msg, peer) => {
    const op = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
    const reply = (packet: Buffer) => server.send(packet, peer.port, peer.address);
    if (op === OP.WRQ) return reply(errorPacket(2, "write requests are not accepted"));
    if (op !== OP.RRQ) return reply(errorPacket(4, "illegal TFTP operation"));
    const fields = msg.subarray(2).toString("ascii").split("\0");
    const [name, modeRaw] = fields;
    const mode = (modeRaw ?? "").toLowerCase();
    if (!name || (mode !== "octet" && mode !== "netascii")) return reply(errorPacket(4, "a read request names a file and a mode (octet or netascii)"));
    const file = opts.files(name);
    if (!file) {
      opts.log.info({ file: name, peer: peer.address }, "tftp: file not found");
      return reply(errorPacket(1, "file not found"));
    }
    const data = mode === "netascii" ? Buffer.from(file.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1") : file;
    serve(name, data, peer);
  });

  /** One transfer, from its own port: send a block, wait for its ACK, retransmit on timeout. */
  const serve = (name: string, data: Buffer, peer: dgram.RemoteInfo) => {
    const socket = dgram.createSocket("udp4");
    const blocks = Math.floor(data.length / BLOCK) + 1; // the last block is shorter than 512, maybe empty
    let block = 1;
    let tries = 0;
    let timer: NodeJS.Timeout | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      transfers.delete(finish);
      try { socket.close(); } catch { /* closed */ }
    };
    const sendBlock = () => {
      if (finished) return;
      if (tries++ > retries) {
        opts.log.warn({ file: name, peer: peer.address, block }, "tftp: transfer abandoned, no acknowledgement");
        return finish();
      }
      socket.send(dataPacket(block, data.subarray((block - 1) * BLOCK, block * BLOCK)), peer.port, peer.address);
      timer = setTimeout(sendBlock, timeoutMs);
    };
    socket.on("message", (msg, from) => {
      if (finished) return;
      if (from.port !== peer.port || from.address !== peer.address) {
        // RFC 1350: a packet from an unknown TID gets an error, and the transfer goes on
        socket.send(errorPacket(5, "unknown transfer ID"), from.port, from.address);
        return;
      }
      const op = msg.readUInt16BE(0);
      if (op === OP.ERROR) return finish();
      if (op !== OP.ACK || msg.readUInt16BE(2) !== (block & 0xffff)) return; // duplicate or stale ACK
      if (timer) clearTimeout(timer);
      if (block === blocks) {
        opts.log.info({ file: name, peer: peer.address, bytes: data.length }, "tftp: file sent");
        return finish();
      }
      block++;
      tries = 0;
      sendBlock();
    });
    transfers.add(finish);
    socket.bind(0, opts.host, sendBlock);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.bind(opts.port, opts.host, () => resolve());
  });
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const finish of [...transfers]) finish();
      server.close(() => resolve());
    }),
  };
}
