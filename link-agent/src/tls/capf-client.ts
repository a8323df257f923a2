// Enrolls one link's client certificate at CAPF: a new key pair and CSR (CN = instance ID), sent over
// TLS (the CAPF server verified against the pinned CallManager certificate file) with the auth code.
import { generateKeyPairSync } from "node:crypto";
import tls from "node:tls";
import forge from "node-forge";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";

export class CapfRefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export async function enroll(opts: { host: string; port: number; trustedPem: string; instanceId: string; authCode: string; timeoutMs?: number }): Promise<{ keyPem: string; certPem: string; caPem: string }> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: "commonName", value: opts.instanceId }]);
  csr.sign(key, forge.md.sha256.create());

  const answer = await new Promise<Record<string, string>>((resolve, reject) => {
    const socket = tls.connect({ host: opts.host, port: opts.port, ca: opts.trustedPem, servername: tlsServername(opts.host) });
    const decoder = new FrameDecoder(256 * 1024);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`CAPF ${opts.host}:${opts.port} did not answer`)); }, opts.timeoutMs ?? 10_000);
    socket.once("secureConnect", () => socket.write(encodeFrame({ type: "enroll", instanceId: opts.instanceId, authCode: opts.authCode, csr: forge.pki.certificationRequestToPem(csr) })));
    socket.on("data", (chunk: Buffer) => {
      try {
        const [frame] = decoder.push(chunk);
        if (frame) {
          clearTimeout(timer);
          socket.end();
          resolve(frame as Record<string, string>);
        }
      } catch (err) {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      }
    });
    socket.on("error", (err) => { clearTimeout(timer); reject(new Error(`CAPF ${opts.host}:${opts.port}: ${err.message}`)); });
  });
  if (answer.type !== "certificate") throw new CapfRefusedError(answer.code ?? "refused", `CAPF refused the enrollment of ${opts.instanceId}: ${answer.message ?? "no reason given"}`);
  return { keyPem, certPem: answer.certificate!, caPem: answer.ca! };
}

/** SNI takes host names only. */
export function tlsServername(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}
