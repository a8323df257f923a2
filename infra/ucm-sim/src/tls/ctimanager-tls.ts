// The CTIManager's TLS port (2749 on UCM): only clients with a certificate of the cluster's CA get in,
// identified by the instance ID in its subject. Two connections at once with the same instance ID get
// that certificate invalidated, as Cisco does: both are closed, and the certificate is refused later.
import tls from "node:tls";
import type { Logger } from "pino";
import { encodeFrame } from "../../../../shared/node/framing.js";
import type { ClusterPki } from "./pki.js";
import type { Revocation } from "./cert-registry.js";

export interface CtiManagerTls {
  port: number;
  /** Serial -> revocation, of every certificate invalidated (the cluster registry's). */
  revoked: Map<string, Revocation>;
  /** Instance IDs with a connection open now. */
  connected(): string[];
  close(): Promise<void>;
}

export interface CtiManagerTlsOptions {
  host?: string;
  port: number;
  pki: ClusterPki;
  log?: Logger;
  /** Gets every accepted, authorized connection (the switch-link server's handleConnection). */
  onSocket: (socket: tls.TLSSocket, info: { instanceId: string }) => void;
}

/** The switch link's fatal frame, so that the agent can log why it was turned away. */
const refuse = (socket: tls.TLSSocket, message: string) => {
  socket.end(encodeFrame({ type: "error", message }));
  setTimeout(() => socket.destroy(), 1000).unref();
};

export async function startCtiManagerTls(opts: CtiManagerTlsOptions): Promise<CtiManagerTls> {
  const { registry } = opts.pki;
  const log = opts.log;
  const byInstance = new Map<string, Map<tls.TLSSocket, string>>(); // instance ID -> open socket -> serial
  const all = new Set<tls.TLSSocket>();

  const server = tls.createServer({
    key: opts.pki.serverKeyPem, cert: opts.pki.serverCertPem, ca: [opts.pki.caCertPem], requestCert: true, rejectUnauthorized: true,
  }, (socket) => {
    all.add(socket);
    socket.on("close", () => all.delete(socket));
    socket.on("error", () => socket.destroy());
    const cert = socket.getPeerCertificate();
    const cn = cert.subject?.CN as string | string[] | undefined;
    const instanceId = Array.isArray(cn) ? cn[0] : cn;
    const serial = cert.serialNumber?.toLowerCase();
    if (!instanceId || !serial) return refuse(socket, "the client certificate names no instance ID");

    const revoked = registry.revocation(serial);
    if (revoked) {
      log?.warn({ instanceId, serial }, "ctimanager: refused an invalidated certificate");
      return refuse(socket, `the certificate of instance ID ${instanceId} (serial ${serial}) was invalidated on ${revoked.at.toISOString()}: ${revoked.reason}; enroll again with a new authorization code`);
    }
    const open = byInstance.get(instanceId) ?? new Map<tls.TLSSocket, string>();
    if (open.size > 0) {
      const reason = `instance ID ${instanceId} was used by two connections at once`;
      for (const s of [serial, ...open.values()]) registry.revoke(s, instanceId, reason);
      log?.error({ instanceId, serial }, `ctimanager: ${reason}: its certificate is invalidated`);
      const message = `${reason}: its certificate is invalidated; enroll again with a new authorization code`;
      for (const s of open.keys()) refuse(s, message);
      open.clear();
      return refuse(socket, message);
    }
    open.set(socket, serial);
    byInstance.set(instanceId, open);
    socket.on("close", () => open.delete(socket));
    opts.onSocket(socket, { instanceId });
  });
  server.on("tlsClientError", (err) => log?.warn({ err: err.message }, "ctimanager: TLS handshake refused"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    revoked: registry.revoked,
    connected: () => [...byInstance].filter(([, open]) => open.size > 0).map(([id]) => id),
    close: () => new Promise((resolve) => {
      for (const s of all) s.destroy();
      server.close(() => resolve());
    }),
  };
}
