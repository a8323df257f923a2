// The agent's keystore: one PKCS#12 file per link instance under tls-cert-path, holding that link's
// private key, its certificate and the cluster CA, encrypted with the link-tls password. Any standard
// tool opens it: `openssl pkcs12 -in <instance>.p12 -info`. No private key is ever written in clear.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";

export interface KeyEntry {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export class KeystorePasswordError extends Error {}

export function keystoreFile(certPath: string, instanceId: string): string {
  return join(certPath, `${instanceId.replace(/[^A-Za-z0-9._-]/g, "_")}.p12`);
}

export function saveEntry(certPath: string, instanceId: string, entry: KeyEntry, password: string): string {
  const key = forge.pki.privateKeyFromPem(entry.keyPem);
  const chain = [forge.pki.certificateFromPem(entry.certPem), forge.pki.certificateFromPem(entry.caPem)];
  // 3DES with SHA-1 MAC: the PKCS#12 algorithms OpenSSL 3 reads without its legacy provider
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, chain, password, { algorithm: "3des", friendlyName: instanceId, count: 10000 });
  const file = keystoreFile(certPath, instanceId);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"), { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** Loads a link's entry; undefined when there is none yet; KeystorePasswordError for a wrong password. */
export function loadEntry(certPath: string, instanceId: string, password: string): KeyEntry | undefined {
  const file = keystoreFile(certPath, instanceId);
  if (!existsSync(file)) return undefined;
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(readFileSync(file).toString("binary")), password);
  } catch {
    throw new KeystorePasswordError(`cannot open the keystore ${file}: wrong password (link-tls/password) or a damaged file`);
  }
  const keyOid = forge.pki.oids.pkcs8ShroudedKeyBag!;
  const certOid = forge.pki.oids.certBag!;
  const keyBag = p12.getBags({ bagType: keyOid })[keyOid]?.[0];
  const certs: forge.pkcs12.Bag[] = p12.getBags({ bagType: certOid })[certOid] ?? [];
  if (!keyBag?.key || certs.length < 2) throw new Error(`the keystore ${file} does not hold a key, a certificate and a CA`);
  const leaf = certs.find((b) => b.cert && !b.cert.extensions.some((e: { name: string; cA?: boolean }) => e.name === "basicConstraints" && e.cA));
  const ca = certs.find((b) => b !== leaf);
  return {
    keyPem: forge.pki.privateKeyToPem(keyBag.key),
    certPem: forge.pki.certificateToPem(leaf!.cert!),
    caPem: forge.pki.certificateToPem(ca!.cert!),
  };
}
