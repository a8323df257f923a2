import type { Context } from "hono";

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return { ok: false, error: `body larger than ${MAX_BODY_BYTES} bytes` };
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) return { ok: false, error: `body larger than ${MAX_BODY_BYTES} bytes` };
  try {
    return { ok: true, value: JSON.parse(text || "null") };
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
}
