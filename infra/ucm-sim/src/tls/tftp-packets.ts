// TFTP packets (RFC 1350): opcode, then fields. Only what a read-only server needs.

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5 } as const;
export const BLOCK = 512;

/** RFC 1350 error codes. */
export const ERR = { UNDEFINED: 0, NOT_FOUND: 1, ACCESS: 2, DISK_FULL: 3, ILLEGAL: 4, UNKNOWN_TID: 5, EXISTS: 6, NO_USER: 7 } as const;

export function errorPacket(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([0, OP.ERROR, 0, code]), Buffer.from(message, "ascii"), Buffer.from([0])]);
}

export function dataPacket(block: number, data: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(OP.DATA, 0);
  header.writeUInt16BE(block & 0xffff, 2); // block numbers wrap past 65535 (files over 32 MB)
  return Buffer.concat([header, data]);
}

/** A request's file name and mode; RFC 2347 options after them are ignored (we answer without OACK). */
export function parseRequest(msg: Buffer): { file: string; mode: string } | null {
  const fields = msg.subarray(2).toString("latin1").split("\0");
  if (fields.length < 3 || !fields[0]) return null; // both strings must be NUL-terminated
  return { file: fields[0], mode: fields[1]!.toLowerCase() };
}

/** netascii (RFC 764): lines end in CR LF, a bare CR is CR NUL. */
export function toNetascii(data: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte === 0x0d && data[i + 1] === 0x0a) continue; // CR LF already: the LF below writes it
    if (byte === 0x0a) out.push(0x0d, 0x0a);
    else if (byte === 0x0d) out.push(0x0d, 0x00);
    else out.push(byte);
  }
  return Buffer.from(out);
}
