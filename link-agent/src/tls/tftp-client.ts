// A TFTP client (RFC 1350): one read request in octet mode, each block acknowledged, the last packet
// sent again when the answer does not come.
import dgram from "node:dgram";

const OP = { RRQ: 1, DATA: 3, ACK: 4, ERROR: 5 } as const;
const BLOCK = 512;

export class TftpError extends Error {
  /** The server's RFC 1350 error code; undefined for a timeout or a local failure. */
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

export interface TftpGetOptions {
  /** How long to wait for the next packet before sending the last one again. */
  timeoutMs?: number;
  /** Retransmissions before giving up. */
  retries?: number;
  /** Refuses a larger file (a certificate file is a few kB). */
  maxBytes?: number;
}

const ack = (block: number) => Buffer.from([0, OP.ACK, (block >> 8) & 0xff, block & 0xff]);
const errorPacket = (code: number, message: string) => Buffer.concat([Buffer.from([0, OP.ERROR, 0, code]), Buffer.from(`${message}\0`, "ascii")]);

export async function tftpGet(host: string, port: number, file: string, opts: TftpGetOptions = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 5;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const where = `${host}:${port}`;
  const socket = dgram.createSocket("udp4");
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let expected = 1;
    let server: { address: string; port: number } | null = null; // the transfer's TID, from the first DATA
    let last: { packet: Buffer; to: { address: string; port: number } } = { packet: Buffer.concat([Buffer.from([0, OP.RRQ]), Buffer.from(`${file}\0octet\0`, "ascii")]), to: { address: host, port } };
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const close = () => { try { socket.close(); } catch { /* closed */ } };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      reject(err);
    };
    const send = (packet: Buffer, to: { address: string; port: number }) => {
      last = { packet, to };
      socket.send(packet, to.port, to.address);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (++tries > retries) return fail(new TftpError(`TFTP: no answer from ${where} for ${file} after ${retries} retries`));
        send(last.packet, last.to);
      }, timeoutMs);
    };
    /** After the last ACK, linger a while: if that ACK is lost the server sends the last block again. */
    const complete = (finalAck: Buffer, to: { address: string; port: number }) => {
      settled = true;
      clearTimeout(timer);
      socket.send(finalAck, to.port, to.address);
      resolve(Buffer.concat(chunks, size));
      socket.unref(); // lingering must not keep the process alive
      setTimeout(close, timeoutMs).unref();
    };

    socket.on("error", (err) => fail(new TftpError(`TFTP ${where}: ${err.message}`)));
    socket.on("message", (msg, from) => {
      if (msg.length < 4) return;
      if (server && (from.port !== server.port || from.address !== server.address)) {
        socket.send(errorPacket(5, "unknown transfer ID"), from.port, from.address); // RFC 1350: and carry on
        return;
      }
      const op = msg.readUInt16BE(0);
      const block = msg.readUInt16BE(2);
      if (settled) { // lingering: the server did not get the final ACK
        if (op === OP.DATA) socket.send(ack(block), from.port, from.address);
        return;
      }
      if (op === OP.ERROR) return fail(new TftpError(`TFTP error ${block} from ${where} for ${file}: ${msg.subarray(4).toString("ascii").replace(/\0.*$/s, "")}`, block));
      if (op !== OP.DATA) return;
      server ??= { address: from.address, port: from.port };
      if (block !== (expected & 0xffff)) {
        socket.send(ack(block), from.port, from.address); // a block again: our ACK was lost
        return;
      }
      const data = msg.subarray(4);
      size += data.length;
      if (size > maxBytes) {
        socket.send(errorPacket(3, "file too large"), from.port, from.address);
        return fail(new TftpError(`TFTP: ${file} from ${where} is larger than ${maxBytes} bytes`));
      }
      chunks.push(data);
      tries = 0;
      expected++;
      if (data.length < BLOCK) return complete(ack(block), server);
      send(ack(block), server);
    });
    socket.bind(0, () => send(last.packet, last.to));
  });
}
