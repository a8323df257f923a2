// A cluster's PKI: its own CA, the CallManager server certificate it signs, and the client
// certificates CAPF issues. Keys come from node:crypto (node-forge's RSA key generation takes
// seconds); node-forge builds and signs the certificates.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { CertificateRegistry } from "./cert-registry.js";

/** The file UCM's TFTP service hands out: the CallManager certificate, then the CA that signed it. */
export const CALLMANAGER_PEM = "CallManager.pem";

export interface ClusterPki {
  cluster: string;
  caCertPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  /** The content of CallManager.pem: server certificate + CA certificate, PEM. */
  trustFile: Buffer;
  /** Issued and revoked client certificates of this cluster. */
  registry: CertificateRegistry;
  /** Signs a CSR for an application instance: CN = instance ID, client authentication only; records it. */
  issueClientCertificate(csrPem: string, instanceId: string): { certPem: string; serial: string };
}

export class CsrError extends Error {}

const CLIENT_YEARS = 2;
const MIN_RSA_BITS = 2048;

function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

/** 16 random bytes, first byte 0x40-0x7f: positive and minimal in DER, printed alike by every tool. */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString("hex");
}

function certificate(opts: {
  publicKey: forge.pki.PublicKey; subject: forge.pki.CertificateField[]; issuer: forge.pki.CertificateField[];
  signer: forge.pki.PrivateKey; years: number; extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = newSerial();
  cert.validity.notBefore = new Date(Date.now() - 60_000); // a little clock skew between hosts
  cert.validity.notAfter = new Date(Date.now() + opts.years * 365 * 24 * 3600_000);
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer);
  cert.setExtensions(opts.extensions);
  cert.sign(opts.signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return cert;
}

function makeCaAndServer(cluster: string): { caKeyPem: string; caCertPem: string; serverKeyPem: string; serverCertPem: string } {
  const ca = rsaKeys();
  const caName = [{ name: "commonName", value: `CAPF-${cluster}` }, { name: "organizationName", value: "ucm-sim" }];
  const caCert = certificate({
    publicKey: ca.publicKey, subject: caName, issuer: caName, signer: ca.privateKey, years: 10,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      { name: "subjectKeyIdentifier" },
    ],
  });
  const server = rsaKeys();
  const dnsName = /^[A-Za-z0-9.-]+$/.test(cluster) ? [{ type: 2, value: cluster }] : [];
  const serverCert = certificate({
    publicKey: server.publicKey, subject: [{ name: "commonName", value: cluster }, { name: "organizationName", value: "ucm-sim" }],
    issuer: caName, signer: ca.privateKey, years: 5,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, ...dnsName, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { caKeyPem: ca.pem, caCertPem: forge.pki.certificateToPem(caCert), serverKeyPem: server.pem, serverCertPem: forge.pki.certificateToPem(serverCert) };
}

/** Loads the PKI from stateDir when it holds one, else makes a new one (and keeps it there when given). */
function loadOrMake(cluster: string, stateDir?: string): ReturnType<typeof makeCaAndServer> {
  const files = stateDir ? ["ca.key", "ca.pem", "server.key", "server.pem"].map((f) => join(stateDir, `${cluster}-${f}`)) : [];
  if (stateDir && files.every((f) => existsSync(f))) {
    const [caKeyPem, caCertPem, serverKeyPem, serverCertPem] = files.map((f) => readFileSync(f, "utf8")) as [string, string, string, string];
    return { caKeyPem, caCertPem, serverKeyPem, serverCertPem };
  }
  const made = makeCaAndServer(cluster);
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    [made.caKeyPem, made.caCertPem, made.serverKeyPem, made.serverCertPem].forEach((pem, i) => writeFileSync(files[i]!, pem, { mode: 0o600 }));
  }
  return made;
}

/** Makes (or, with a state folder, loads) the PKI of a cluster. About 0.3 s without a state folder. */
export function clusterPki(cluster: string, stateDir?: string): ClusterPki {
  const { caKeyPem, caCertPem, serverKeyPem, serverCertPem } = loadOrMake(cluster, stateDir);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const registry = new CertificateRegistry();
  return {
    cluster,
    caCertPem,
    serverKeyPem,
    serverCertPem,
    trustFile: Buffer.from(serverCertPem + caCertPem, "utf8"),
    registry,
    issueClientCertificate(csrPem, instanceId) {
      let csr: forge.pki.CertificateSigningRequest;
      try {
        csr = forge.pki.certificationRequestFromPem(csrPem);
      } catch (err) {
        throw new CsrError(`the CSR is not a PEM PKCS#10 request: ${(err as Error).message}`);
      }
      if (!csr.verify()) throw new CsrError("the CSR's signature does not verify");
      const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
      if (!publicKey?.n || publicKey.n.bitLength() < MIN_RSA_BITS) throw new CsrError(`the CSR's key must be RSA of at least ${MIN_RSA_BITS} bits`);
      // the subject is the CA's choice, not the CSR's: the instance ID is what the CTIManager reads
      const cert = certificate({
        publicKey, subject: [{ name: "commonName", value: instanceId }, { name: "organizationName", value: "ucm-sim application" }],
        issuer: caCert.subject.attributes as forge.pki.CertificateField[], signer: caKey, years: CLIENT_YEARS,
        extensions: [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          { name: "extKeyUsage", clientAuth: true },
        ],
      });
      registry.record(cert.serialNumber, instanceId);
      return { certPem: forge.pki.certificateToPem(cert), serial: cert.serialNumber.toLowerCase() };
    },
  };
}
