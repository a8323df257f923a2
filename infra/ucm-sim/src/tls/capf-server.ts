// CAPF: issues an application's client certificate for a CSR, against the instance ID and the one-time
// authorization code configured for it on the cluster (UCM's Application User CAPF Profile).
// Framed JSON over TLS, one request per connection:
//   {type:"enroll", instanceId, authCode, csr} -> {type:"certificate", certificate, ca} | {type:"error", code, message}
import { createHash, timingSafeEqual } from "node:crypto";
import tls from "node:tls";
import type { Logger } from "pino";
import { encodeFrame, FrameDecoder } from "../../../../shared/node/framing.js";
import type { ClusterPki } from "./pki.js";

export interface CapfProfile {
  instanceId: string;
  authCode: string;
}

export type CapfErrorCode = "bad-request" | "unknown-instance" | "code-used" | "bad-code" | "bad-csr" | "timeout";

export interface CapfServer {
  port: number;
  /** Serial -> instance ID of every certificate issued (the cluster registry's). */
  issued: Map<string, string>;
  /** Sets (or re-arms) a profile's authorization code, as an administrator does on UCM. */
  setProfile(profile: CapfProfile): void;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 15_000;
const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
/** Compares codes in constant time, so that timing does not tell how much of a guess was right. */
const sameCode = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export async function startCapfServer(opts: { host?: string; port: number; pki: ClusterPki; profiles: CapfProfile[]; log?: Logger }): Promise<CapfServer> {
  const log = opts.log;
  const profiles = new Map<string, { code: string; used: boolean }>();
  const setProfile = (p: CapfProfile) => profiles.set(p.instanceId, { code: p.authCode, used: false });
  opts.profiles.forEach(setProfile);
  const sockets = new Set<tls.TLSSocket>();

  /** Answers one enrollment request; never logs the code. */
  const enroll = (req: { instanceId: string; authCode: string; csr: string }): object => {
    const refuse = (code: CapfErrorCode, message: string) => {
      log?.warn({ instanceId: req.instanceId, code }, `capf: ${message}`);
      return { type: "error", code, message };
    };
    const profile = profiles.get(req.instanceId);
    if (!profile) return refuse("unknown-instance", `no CAPF profile for instance ID ${req.instanceId}`);
    if (!sameCode(profile.code, req.authCode)) return refuse("bad-code", `wrong authorization code for ${req.instanceId}`);
    if (profile.used) return refuse("code-used", `the authorization code of ${req.instanceId} was already used: set a new one on the cluster`);
    try {
      const { certPem, serial } = opts.pki.issueClientCertificate(req.csr, req.instanceId);
      profile.used = true; // one enrollment per code, as on UCM
      log?.info({ instanceId: req.instanceId, serial }, "capf: certificate issued");
      return { type: "certificate", certificate: certPem, ca: opts.pki.caCertPem };
    } catch (err) {
      return refuse("bad-csr", (err as Error).message);
    }
  };

  const server = tls.createServer({ key: opts.pki.serverKeyPem, cert: opts.pki.serverCertPem }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => answer({ type: "error", code: "timeout", message: "no request in time" }));
    const decoder = new FrameDecoder(64 * 1024);
    let answered = false;
    const answer = (message: object) => {
      if (answered) return;
      answered = true;
      socket.end(encodeFrame(message));
    };
    socket.on("data", (chunk: Buffer) => {
      if (answered) return;
      let frames: unknown[];
      try { frames = decoder.push(chunk); } catch (err) { return answer({ type: "error", code: "bad-request", message: (err as Error).message }); }
      const req = frames[0] as { type?: unknown; instanceId?: unknown; authCode?: unknown; csr?: unknown } | undefined;
      if (!req) return;
      if (req.type !== "enroll" || typeof req.instanceId !== "string" || typeof req.authCode !== "string" || typeof req.csr !== "string") {
        return answer({ type: "error", code: "bad-request", message: "expected {type: enroll, instanceId, authCode, csr}" });
      }
      answer(enroll({ instanceId: req.instanceId, authCode: req.authCode, csr: req.csr }));
    });
  });
  server.on("tlsClientError", (err) => log?.warn({ err: err.message }, "capf: TLS handshake failed"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    issued: opts.pki.registry.issued,
    setProfile,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
