import type { Context } from "hono";

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function readJson(c: Context, maxBytes = MAX_BODY_BYTES): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) return { ok: false, error: `body larger than ${maxBytes} bytes` };
  const text = await c.req.text();
  if (text.length > maxBytes) return { ok: false, error: `body larger than ${maxBytes} bytes` };
  const nesting = tooDeep(text);
  if (nesting) return { ok: false, error: `body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    let forbidden: string | null = null;
    const value: unknown = JSON.parse(text || "null", (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) forbidden = key;
      return v;
    });
    if (forbidden) return { ok: false, error: `the name "${forbidden}" is not allowed as a key` };
    return { ok: true, value };
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
}

/** Deepest nesting of objects and arrays a body may have (T-Library's key-value lists nest a few levels). */
export const MAX_JSON_DEPTH = 16;
/** Keys that would reach an object's prototype in code that copies them. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Counts brackets outside strings, without recursion: a body nested thousands deep is refused before it is parsed. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (ch === 125 || ch === 93) depth--;
  }
  return false;
}
