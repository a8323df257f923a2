// A short answer to a request name that is not one: the nearest names, not the whole list.
import { RequestNames } from "../../../shared/tlib.js";

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The request names closest to `given` (case-insensitive, with or without the "Request" prefix). */
export function suggestRequests(given: string, max = 2): string[] {
  const g = given.toLowerCase().replace(/^request/, "");
  const scored = RequestNames.map((name) => ({ name, d: distance(g, name.toLowerCase().replace(/^request/, "")) }))
    .sort((a, b) => a.d - b.d);
  const limit = Math.max(2, Math.floor(g.length / 3));
  return scored.filter((s) => s.d <= limit).slice(0, max).map((s) => s.name);
}

export function unknownRequest(given: unknown): string {
  if (typeof given !== "string" || given === "") return "request: the T-Library request name is required, e.g. RequestMakeCall (the list is in /v1/docs)";
  const near = suggestRequests(given);
  const shown = given.length > 64 ? `${given.slice(0, 64)}...` : given;
  return `request: "${shown}" is not a T-Library request${near.length ? `; did you mean ${near.join(" or ")}?` : " (the list is in /v1/docs)"}`;
}
