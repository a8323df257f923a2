import type { Context } from "hono";

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function readJson(c: Context, maxBytes = MAX_BODY_BYTES): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) return { ok: false, error: `body larger than ${maxBytes} bytes` };
  const text = await c.req.text();
  if (text.length > maxBytes) return { ok: false, error: `body larger than ${maxBytes} bytes` };
  try {
    return { ok: true, value: JSON.parse(text || "null") };
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
}
