// A cluster's PKI: its own CA, the CallManager server certificate it signs, and client certificates
// issued by CAPF. Keys come from node:crypto (fast); certificates are built with node-forge.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";

export interface ClusterPki {
  caCertPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  /** The file TFTP serves: the CallManager certificate, then the CA that signed it. */
  trustFile: Buffer;
  /** Signs a CSR for an application instance: CN = instance ID, client authentication only. */
  issueClientCertificate(csrPem: string, instanceId: string): { certPem: string; serial: string };
}

function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

function serial(): string {
  // positive, 16 bytes
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}

function certificate(opts: {
  publicKey: forge.pki.PublicKey; subject: forge.pki.CertificateField[]; issuer: forge.pki.CertificateField[];
  signer: forge.pki.PrivateKey; years: number; extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + opts.years * 365 * 24 * 3600_000);
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer);
  cert.setExtensions(opts.extensions);
  cert.sign(opts.signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return cert;
}

/** Makes (or, with a state folder, loads) the PKI of a cluster. */
export function clusterPki(cluster: string, stateDir?: string): ClusterPki {
  let caKeyPem: string, caCertPem: string, serverKeyPem: string, serverCertPem: string;
  const files = stateDir ? ["ca.key", "ca.pem", "server.key", "server.pem"].map((f) => join(stateDir, `${cluster}-${f}`)) : [];
  if (stateDir && files.every((f) => existsSync(f))) {
    [caKeyPem, caCertPem, serverKeyPem, serverCertPem] = files.map((f) => readFileSync(f, "utf8")) as [string, string, string, string];
  } else {
    const ca = rsaKeys();
    const caName = [{ name: "commonName", value: `CAPF-${cluster}` }, { name: "organizationName", value: "ucm-sim" }];
    const caCert = certificate({
      publicKey: ca.publicKey, subject: caName, issuer: caName, signer: ca.privateKey, years: 10,
      extensions: [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true }, { name: "subjectKeyIdentifier" }],
    });
    const server = rsaKeys();
    const serverCert = certificate({
      publicKey: server.publicKey, subject: [{ name: "commonName", value: cluster }, { name: "organizationName", value: "ucm-sim" }], issuer: caName, signer: ca.privateKey, years: 5,
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 2, value: cluster }, { type: 7, ip: "127.0.0.1" }] },
      ],
    });
    caKeyPem = ca.pem;
    caCertPem = forge.pki.certificateToPem(caCert);
    serverKeyPem = server.pem;
    serverCertPem = forge.pki.certificateToPem(serverCert);
    if (stateDir) {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      [caKeyPem, caCertPem, serverKeyPem, serverCertPem].forEach((pem, i) => writeFileSync(files[i]!, pem, { mode: 0o600 }));
    }
  }
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const caCert = forge.pki.certificateFromPem(caCertPem);
  return {
    caCertPem,
    serverKeyPem,
    serverCertPem,
    trustFile: Buffer.from(serverCertPem + caCertPem, "utf8"),
    issueClientCertificate(csrPem, instanceId) {
      const csr = forge.pki.certificationRequestFromPem(csrPem);
      if (!csr.verify()) throw new Error("the CSR's signature does not verify");
      const cert = certificate({
        publicKey: csr.publicKey!, subject: [{ name: "commonName", value: instanceId }, { name: "organizationName", value: "ucm-sim application" }],
        issuer: caCert.subject.attributes as forge.pki.CertificateField[], signer: caKey, years: 2,
        extensions: [{ name: "basicConstraints", cA: false }, { name: "keyUsage", digitalSignature: true, keyEncipherment: true }, { name: "extKeyUsage", clientAuth: true }],
      });
      return { certPem: forge.pki.certificateToPem(cert), serial: cert.serialNumber };
    },
  };
}
