import { describe, expect, it } from "vitest";
import { encodeFrame, FrameDecoder, FrameError } from "../node/framing.js";

describe("switch-link framing", () => {
  it("splits frames across and within chunks", () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: "two" }), encodeFrame([3])]);
    const decoder = new FrameDecoder();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...decoder.push(bytes.subarray(i, i + 3)));
    expect(out).toEqual([{ a: 1 }, { b: "two" }, [3]]);
  });

  it("refuses an oversize frame before buffering it", () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2 * 1024 * 1024);
    expect(() => new FrameDecoder().push(header)).toThrow(FrameError);
  });

  it("refuses a frame that is not JSON", () => {
    const body = Buffer.from("{nope");
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    expect(() => new FrameDecoder().push(Buffer.concat([header, body]))).toThrow(/not valid JSON/);
  });
});
