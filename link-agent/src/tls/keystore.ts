// The agent's keystore: one PKCS#12 file per link instance under tls-cert-path, holding that link's
// private key and certificate (friendly name = instance ID) and the cluster CA, encrypted with the
// link-tls password. Any standard tool opens it: `openssl pkcs12 -in <instance>.p12 -info`.
// No private key is ever written in clear.
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { writePrivateFile } from "./private-files.js";

export interface KeyEntry {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export class KeystorePasswordError extends Error {}
export class KeystoreDamagedError extends Error {}

// AES-256-CBC with PBKDF2-HMAC-SHA256 for the key, a SHA-1 MAC: what `openssl pkcs12 -export` of
// OpenSSL 3 writes itself, so it opens it without the legacy provider. (node-forge caps the MAC's
// iteration count below 65536.)
// (prfAlgorithm reaches node-forge's encryptPrivateKeyInfo; its typings do not list it.)
const P12_OPTIONS = { algorithm: "aes256", prfAlgorithm: "sha256", count: 10_000, saltSize: 16 } as const;

/** <instance ID>.p12; an ID with characters a file name should not hold gets a hash to stay distinct. */
export function keystoreFile(certPath: string, instanceId: string): string {
  const safe = instanceId.replace(/[^A-Za-z0-9._-]/g, "_");
  const suffix = safe === instanceId ? "" : `-${createHash("sha256").update(instanceId).digest("hex").slice(0, 8)}`;
  return join(certPath, `${safe}${suffix}.p12`);
}

export function saveEntry(certPath: string, instanceId: string, entry: KeyEntry, password: string): string {
  const key = forge.pki.privateKeyFromPem(entry.keyPem) as forge.pki.rsa.PrivateKey;
  const chain = [forge.pki.certificateFromPem(entry.certPem), forge.pki.certificateFromPem(entry.caPem)];
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, chain, password, { ...P12_OPTIONS, friendlyName: instanceId } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  const file = keystoreFile(certPath, instanceId);
  writePrivateFile(file, Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"));
  return file;
}

function openPfx(file: string, password: string): forge.pkcs12.Pkcs12Pfx {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(readFileSync(file).toString("binary"));
  } catch {
    throw new KeystoreDamagedError(`the keystore ${file} is damaged (not PKCS#12): remove it and enroll that link again`);
  }
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (err) {
    if (/MAC could not be verified|Invalid password/i.test((err as Error).message)) {
      throw new KeystorePasswordError(`cannot open the keystore ${file}: wrong password (link-tls/password is not the one it was made with)`);
    }
    throw new KeystoreDamagedError(`the keystore ${file} is damaged: ${(err as Error).message}`);
  }
}

/** Loads a link's entry; undefined when there is none yet; KeystorePasswordError for a wrong password. */
export function loadEntry(certPath: string, instanceId: string, password: string): KeyEntry | undefined {
  const file = keystoreFile(certPath, instanceId);
  if (!existsSync(file)) return undefined;
  const p12 = openPfx(file, password);
  const keyOid = forge.pki.oids.pkcs8ShroudedKeyBag!;
  const certOid = forge.pki.oids.certBag!;
  const keyBag = p12.getBags({ bagType: keyOid })[keyOid]?.[0];
  const certs = (p12.getBags({ bagType: certOid })[certOid] ?? []).filter((b) => b.cert);
  const isCa = (b: forge.pkcs12.Bag) => b.cert!.extensions.some((e: { name: string; cA?: boolean }) => e.name === "basicConstraints" && e.cA);
  const leaf = certs.find((b) => !isCa(b));
  const ca = certs.find((b) => isCa(b));
  if (!keyBag?.key || !leaf || !ca) throw new KeystoreDamagedError(`the keystore ${file} does not hold a key, a certificate and a CA`);
  const entry = { keyPem: forge.pki.privateKeyToPem(keyBag.key), certPem: forge.pki.certificateToPem(leaf.cert!), caPem: forge.pki.certificateToPem(ca.cert!) };
  // a file copied or renamed by hand must not give a link another instance's identity
  const cn = (leaf.cert!.subject.getField("CN") as { value?: string } | null)?.value;
  if (cn !== instanceId) throw new KeystoreDamagedError(`the keystore ${file} holds the certificate of ${cn ?? "no instance"}, not ${instanceId}`);
  if (!new X509Certificate(entry.certPem).checkPrivateKey(createPrivateKey(entry.keyPem))) throw new KeystoreDamagedError(`the keystore ${file}: its key does not match its certificate`);
  return entry;
}

/** When a certificate stops being valid. */
export function certificateExpiry(certPem: string): Date {
  return new Date(new X509Certificate(certPem).validTo);
}
