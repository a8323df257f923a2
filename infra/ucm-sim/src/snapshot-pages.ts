// A snapshot larger than one switch-link frame (1 MiB) goes out as pages (docs/switch-link.md,
// "Paged results"): each page a response frame with the same id, all but the last with "more": true.
// A 40,000-line cluster's snapshot is about 4.4 MB of JSON; one frame of it was refused (issue 13).
import type { Snapshot } from "../../../shared/switch-link.js";

/** Half a frame: a page always fits, whatever the envelope. */
export const SNAPSHOT_PAGE_BYTES = 512 * 1024;

export function snapshotPages(snapshot: Snapshot, maxBytes = SNAPSHOT_PAGE_BYTES): Snapshot[] {
  const pages: Snapshot[] = [];
  let page: Snapshot = { addresses: [], calls: [] };
  let bytes = 0;
  const add = <K extends keyof Snapshot>(key: K, item: Snapshot[K][number]) => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > 0 && bytes + size > maxBytes) {
      pages.push(page);
      page = { addresses: [], calls: [] };
      bytes = 0;
    }
    (page[key] as Array<typeof item>).push(item);
    bytes += size;
  };
  for (const a of snapshot.addresses) add("addresses", a);
  // a call's connections stay together, in one page
  for (const c of snapshot.calls) add("calls", c);
  pages.push(page);
  return pages;
}
