// Length-prefixed JSON frames of the switch link: a 4-byte big-endian byte count, then UTF-8 JSON.
import { MAX_FRAME_BYTES } from "../switch-link.js";

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  if (body.length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export class FrameError extends Error {}

/** Splits a byte stream into parsed JSON frames. Throws FrameError on an oversize or unparsable frame. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): unknown[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const frames: unknown[] = [];
    let data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.size);
    let offset = 0;
    while (data.length - offset >= 4) {
      const length = data.readUInt32BE(offset);
      if (length > this.maxFrameBytes) throw new FrameError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
      if (data.length - offset - 4 < length) break;
      const text = data.toString("utf8", offset + 4, offset + 4 + length);
      offset += 4 + length;
      try {
        frames.push(JSON.parse(text));
      } catch {
        throw new FrameError("frame is not valid JSON");
      }
    }
    data = data.subarray(offset);
    this.buffered = data.length ? [data] : [];
    this.size = data.length;
    return frames;
  }
}
