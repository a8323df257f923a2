// Enrolls one link's client certificate at CAPF: a new key pair and CSR (CN = instance ID), sent over
// TLS with the auth code, the CAPF server verified against the pinned CallManager certificate file.
import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import tls from "node:tls";
import forge from "node-forge";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";
import { pinnedServerIdentity } from "./pinning.js";

export class CapfRefusedError extends Error {
  /** CAPF's reason: unknown-instance, bad-code, code-used, bad-csr, bad-request, timeout; or no-code (nothing to enroll with). */
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface Enrolled {
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** A new RSA 2048 key (node:crypto: node-forge's key generation is far slower) and its CSR, CN = instance ID. */
export function createKeyAndCsr(instanceId: string): { keyPem: string; csrPem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: "commonName", value: instanceId }]);
  csr.sign(key, forge.md.sha256.create());
  return { keyPem, csrPem: forge.pki.certificationRequestToPem(csr) };
}

/** SNI takes host names only. */
export function tlsServername(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}

/** One request, one answer, over TLS to CAPF. */
function exchange(opts: { host: string; port: number; trustedPem: string; timeoutMs: number }, request: object): Promise<Record<string, unknown>> {
  const where = `CAPF ${opts.host}:${opts.port}`;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: opts.host, port: opts.port, ca: opts.trustedPem, servername: tlsServername(opts.host), checkServerIdentity: pinnedServerIdentity(opts.trustedPem),
    });
    const decoder = new FrameDecoder(256 * 1024);
    const done = (err: Error | null, answer?: Record<string, unknown>) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`${where} did not answer in ${opts.timeoutMs} ms`)), opts.timeoutMs);
    socket.once("secureConnect", () => socket.write(encodeFrame(request)));
    socket.on("data", (chunk: Buffer) => {
      try {
        const [frame] = decoder.push(chunk);
        if (frame) done(null, frame as Record<string, unknown>);
      } catch (err) {
        done(new Error(`${where}: ${(err as Error).message}`));
      }
    });
    socket.on("error", (err) => done(new Error(`${where}: ${err.message}`)));
    socket.on("end", () => done(new Error(`${where} closed the connection without an answer`)));
  });
}

/** The subject's common name: the instance ID, in a client certificate of the cluster. */
export function certificateCn(certPem: string): string | undefined {
  const field = forge.pki.certificateFromPem(certPem).subject.getField("CN") as { value?: string } | null;
  return field?.value;
}

/** Checks that the certificate CAPF returned is ours: our key, our instance ID, signed by the CA it sent. */
function checkIssued(instanceId: string, keyPem: string, certPem: string, caPem: string): void {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  const ours = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  if (!cert.publicKey.export({ type: "spki", format: "der" }).equals(ours)) throw new Error("CAPF returned a certificate for another key");
  const cn = certificateCn(certPem);
  if (cn !== instanceId) throw new Error(`CAPF returned a certificate for ${cn ?? "no CN"}, not ${instanceId}`);
  if (!cert.verify(ca.publicKey)) throw new Error("CAPF returned a certificate its CA did not sign");
}

export async function enroll(opts: { host: string; port: number; trustedPem: string; instanceId: string; authCode: string; timeoutMs?: number }): Promise<Enrolled> {
  const { keyPem, csrPem } = createKeyAndCsr(opts.instanceId);
  const answer = await exchange({ ...opts, timeoutMs: opts.timeoutMs ?? 10_000 }, { type: "enroll", instanceId: opts.instanceId, authCode: opts.authCode, csr: csrPem });
  if (answer.type !== "certificate") {
    throw new CapfRefusedError(String(answer.code ?? "refused"), `CAPF refused the enrollment of ${opts.instanceId}: ${String(answer.message ?? "no reason given")}`);
  }
  if (typeof answer.certificate !== "string" || typeof answer.ca !== "string") throw new Error("CAPF answered without a certificate and its CA");
  checkIssued(opts.instanceId, keyPem, answer.certificate, answer.ca);
  return { keyPem, certPem: answer.certificate, caPem: answer.ca };
}
