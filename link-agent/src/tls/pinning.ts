// Trust on first download: the CallManager certificate file fetched over TFTP the first time is kept
// under tls-cert-path; every later download must be the same bytes, or the agent refuses to connect.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PINNED_FILE = "CallManager.pem";

export class PinMismatchError extends Error {}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Returns the pinned certificate file, pinning `downloaded` if nothing is pinned yet. */
export function pinServerCertificate(certPath: string, downloaded: Buffer): { pem: string; firstDownload: boolean; sha256: string } {
  const file = join(certPath, PINNED_FILE);
  if (!existsSync(file)) {
    writeFileSync(file, downloaded, { mode: 0o600 });
    return { pem: downloaded.toString("utf8"), firstDownload: true, sha256: sha256(downloaded) };
  }
  const pinned = readFileSync(file);
  if (!pinned.equals(downloaded)) {
    throw new PinMismatchError(
      `the server certificate changed since its first download: refusing to connect (pinned sha256 ${sha256(pinned)}, downloaded ${sha256(downloaded)}). ` +
      `If the cluster's certificate really changed, remove ${file} and start again in a secure network.`);
  }
  return { pem: pinned.toString("utf8"), firstDownload: false, sha256: sha256(pinned) };
}
