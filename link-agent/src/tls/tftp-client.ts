// A TFTP client (RFC 1350): read request in octet mode, acknowledge each block, retransmit on timeout.
import dgram from "node:dgram";

export async function tftpGet(host: string, port: number, file: string, opts: { timeoutMs?: number; retries?: number; maxBytes?: number } = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 5;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const socket = dgram.createSocket("udp4");
  const request = Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${file}\0octet\0`, "ascii")]);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let expected = 1;
    let server: { address: string; port: number } | null = null;
    let lastSent: Buffer = request;
    let lastTarget = { address: host, port };
    let tries = 0;
    let timer: NodeJS.Timeout;
    let finished = false;
    const done = (err: Error | null, data?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(data!);
    };
    const send = (packet: Buffer, to: { address: string; port: number }) => {
      if (finished) return;
      lastSent = packet;
      lastTarget = to;
      socket.send(packet, to.port, to.address);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (++tries > retries) return done(new Error(`TFTP: no answer from ${host}:${port} for ${file} after ${retries} retries`));
        send(lastSent, lastTarget);
      }, timeoutMs);
    };
    socket.on("error", (err) => done(err));
    socket.on("message", (msg, from) => {
      if (finished) return;
      if (server && (from.port !== server.port || from.address !== server.address)) return; // not our transfer
      const op = msg.readUInt16BE(0);
      if (op === 5) return done(new Error(`TFTP error ${msg.readUInt16BE(2)} for ${file}: ${msg.subarray(4, msg.length - 1).toString("ascii")}`));
      if (op !== 3) return;
      server ??= { address: from.address, port: from.port };
      const block = msg.readUInt16BE(2);
      const ack = Buffer.from([0, 4, msg[2]!, msg[3]!]);
      if (block !== (expected & 0xffff)) return socket.send(ack, from.port, from.address); // duplicate: acknowledge again
      const data = msg.subarray(4);
      size += data.length;
      if (size > maxBytes) return done(new Error(`TFTP: ${file} is larger than ${maxBytes} bytes`));
      chunks.push(data);
      tries = 0;
      expected++;
      if (data.length < 512) {
        clearTimeout(timer);
        socket.send(ack, from.port, from.address, () => done(null, Buffer.concat(chunks)));
        return;
      }
      send(ack, server);
    });
    socket.bind(0, () => send(request, { address: host, port }));
  });
}
