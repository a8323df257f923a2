// Trust on first download: the CallManager certificate file fetched over TFTP the first time is kept
// under tls-cert-path, with its SHA-256 beside it (sha256sum format); every later download must be the
// same bytes, or the agent refuses to connect. Only that first download is taken on faith.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import tls, { type PeerCertificate } from "node:tls";
import { writePrivateFile } from "./private-files.js";

export const PINNED_FILE = "CallManager.pem";
export const PINNED_SHA256_FILE = `${PINNED_FILE}.sha256`;

export class PinError extends Error {}
/** The server certificate is not the one pinned: never connect. */
export class PinMismatchError extends PinError {}

export interface Pin {
  /** The pinned file: the CallManager certificate(s) and the CA, PEM. */
  pem: string;
  sha256: string;
  file: string;
  firstDownload: boolean;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Every certificate of a PEM file; throws when there is none or one does not parse. */
export function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error("no PEM certificate in it");
  return blocks.map((b) => new X509Certificate(b));
}

/** The pinned file, if there is one; refuses one that no longer matches its recorded SHA-256. */
export function readPin(certPath: string): Omit<Pin, "firstDownload"> | undefined {
  const file = join(certPath, PINNED_FILE);
  if (!existsSync(file)) return undefined;
  const pinned = readFileSync(file);
  const sumFile = join(certPath, PINNED_SHA256_FILE);
  const recorded = existsSync(sumFile) ? readFileSync(sumFile, "utf8").split(/\s/)[0] : undefined;
  if (recorded && recorded !== sha256(pinned)) {
    throw new PinMismatchError(`the pinned server certificate ${file} was altered on this host (sha256 ${sha256(pinned)}, recorded ${recorded}): refusing to connect; if the change is expected, remove ${file} and ${sumFile} and start again in a secure network`);
  }
  return { pem: pinned.toString("utf8"), sha256: sha256(pinned), file };
}

/** Returns the pinned certificate file, pinning `downloaded` if nothing is pinned yet. */
export function pinServerCertificate(certPath: string, downloaded: Buffer): Pin {
  const pin = readPin(certPath);
  if (!pin) {
    try {
      pemCertificates(downloaded.toString("utf8"));
    } catch (err) {
      throw new PinError(`the file downloaded over TFTP is not a certificate file (${(err as Error).message}): refusing to trust it`);
    }
    const file = join(certPath, PINNED_FILE);
    writePrivateFile(file, downloaded);
    writePrivateFile(join(certPath, PINNED_SHA256_FILE), `${sha256(downloaded)}  ${PINNED_FILE}\n`);
    return { pem: downloaded.toString("utf8"), sha256: sha256(downloaded), file, firstDownload: true };
  }
  if (pin.sha256 !== sha256(downloaded)) {
    throw new PinMismatchError(
      `the server certificate changed since its first download: refusing to connect (pinned sha256 ${pin.sha256}, downloaded ${sha256(downloaded)}); ` +
      `if the change is expected, remove ${pin.file} and start again in a secure network`);
  }
  return { ...pin, firstDownload: false };
}

/**
 * tls.connect's checkServerIdentity against a pin: a server presenting one of the pinned certificates
 * is the server, whatever address the link uses; any other (still chained to the pinned CA) must
 * match the host name as usual.
 */
export function pinnedServerIdentity(pem: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const pinned = new Set(pemCertificates(pem).map((c) => c.fingerprint256));
  return (host, cert) => (pinned.has(cert.fingerprint256) ? undefined : tls.checkServerIdentity(host, cert));
}
