// CAPF: issues an application's client certificate for a CSR, against the instance ID and the one-time
// authorization code configured for it on the cluster (UCM's Application User CAPF Profile).
// Framed JSON over TLS: {type:"enroll", instanceId, authCode, csr} -> {type:"certificate", certificate, ca} | {type:"error", code, message}.
import tls from "node:tls";
import type { Logger } from "pino";
import { encodeFrame, FrameDecoder } from "../../../../shared/node/framing.js";
import type { ClusterPki } from "./pki.js";

export interface CapfProfile {
  instanceId: string;
  authCode: string;
}

export interface CapfServer {
  port: number;
  /** Serial -> instance ID of every certificate issued. */
  issued: Map<string, string>;
  close(): Promise<void>;
}

export async function startCapfServer(opts: { host: string; port: number; pki: ClusterPki; profiles: CapfProfile[]; log: Logger }): Promise<CapfServer> {
  const codes = new Map(opts.profiles.map((p) => [p.instanceId, { code: p.authCode, used: false }]));
  const issued = new Map<string, string>();
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key: opts.pki.serverKeyPem, cert: opts.pki.serverCertPem }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const decoder = new FrameDecoder(64 * 1024);
    const answer = (message: object) => {
      socket.end(encodeFrame(message));
    };
    socket.on("data", (chunk: Buffer) => {
      let frames: unknown[];
      try { frames = decoder.push(chunk); } catch (err) { return answer({ type: "error", code: "bad-request", message: (err as Error).message }); }
      for (const frame of frames) {
        const req = frame as { type?: string; instanceId?: unknown; authCode?: unknown; csr?: unknown };
        if (req.type !== "enroll" || typeof req.instanceId !== "string" || typeof req.authCode !== "string" || typeof req.csr !== "string") {
          return answer({ type: "error", code: "bad-request", message: "expected {type: enroll, instanceId, authCode, csr}" });
        }
        const profile = codes.get(req.instanceId);
        if (!profile) {
          opts.log.warn({ instanceId: req.instanceId }, "capf: unknown instance ID");
          return answer({ type: "error", code: "unknown-instance", message: `no CAPF profile for instance ID ${req.instanceId}` });
        }
        if (profile.used) {
          opts.log.warn({ instanceId: req.instanceId }, "capf: authorization code already used");
          return answer({ type: "error", code: "code-used", message: `the authorization code of ${req.instanceId} was already used: set a new one on the cluster` });
        }
        if (profile.code !== req.authCode) {
          opts.log.warn({ instanceId: req.instanceId }, "capf: wrong authorization code");
          return answer({ type: "error", code: "bad-code", message: `wrong authorization code for ${req.instanceId}` });
        }
        try {
          const { certPem, serial } = opts.pki.issueClientCertificate(req.csr, req.instanceId);
          profile.used = true;
          issued.set(serial, req.instanceId);
          opts.log.info({ instanceId: req.instanceId, serial }, "capf: certificate issued");
          return answer({ type: "certificate", certificate: certPem, ca: opts.pki.caCertPem });
        } catch (err) {
          return answer({ type: "error", code: "bad-csr", message: (err as Error).message });
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    issued,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
