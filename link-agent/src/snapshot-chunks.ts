// A link's snapshot lists every DN it serves: on a full cluster that is tens of thousands of DNs,
// megabytes of JSON, more than one uplink message may carry. A snapshot's meaning is per listed DN
// ("this DN has exactly these calls"), so it splits into several snapshot events without loss.
import { MAX_UPLINK_MESSAGE_BYTES, type SwitchEvent } from "../../shared/uplink.js";

type SnapshotEvent = Extract<SwitchEvent, { kind: "snapshot" }>;

/** A quarter of a message: a chunk always fits, with room for other events in the same batch. */
export const SNAPSHOT_CHUNK_BYTES = Math.floor(MAX_UPLINK_MESSAGE_BYTES / 4);

/** Splits a snapshot by size; a DN's calls stay together. Always at least one event (an empty one still marks the moment). */
export function splitSnapshot(snapshot: SnapshotEvent, maxBytes = SNAPSHOT_CHUNK_BYTES): SnapshotEvent[] {
  const chunks: SnapshotEvent[] = [];
  let dns: SnapshotEvent["dns"] = [];
  let bytes = 0;
  for (const entry of snapshot.dns) {
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (dns.length > 0 && bytes + size > maxBytes) {
      chunks.push({ ...snapshot, dns });
      dns = [];
      bytes = 0;
    }
    dns.push(entry);
    bytes += size;
  }
  chunks.push({ ...snapshot, dns });
  return chunks;
}
