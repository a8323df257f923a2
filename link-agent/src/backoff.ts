// Exponential back-off with jitter, so that agents (and links) that lost their peer together do not
// all come back in the same instant.

/** min * 2^attempt, capped at max, then spread by ±25 %. */
export function backoffDelay(minMs: number, maxMs: number, attempt: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}
