// The CTIManager's TLS port: only clients with a certificate of the cluster's CA get in. Two
// connections at once with the same instance ID get that certificate invalidated, as Cisco does.
import tls from "node:tls";
import type { Logger } from "pino";
import type { ClusterPki } from "./pki.js";

export interface CtiManagerTls {
  port: number;
  revoked: Set<string>;
  close(): Promise<void>;
}

export async function startCtiManagerTls(opts: {
  host: string; port: number; pki: ClusterPki; log: Logger;
  onSocket: (socket: tls.TLSSocket, info: { instanceId: string }) => void;
}): Promise<CtiManagerTls> {
  const revoked = new Set<string>();
  const byInstance = new Map<string, Set<tls.TLSSocket>>();
  const all = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key: opts.pki.serverKeyPem, cert: opts.pki.serverCertPem, ca: [opts.pki.caCertPem], requestCert: true, rejectUnauthorized: true }, (socket) => {
    all.add(socket);
    socket.on("close", () => all.delete(socket));
    socket.on("error", () => socket.destroy());
    const cert = socket.getPeerCertificate();
    const instanceId = cert.subject?.CN as string | undefined;
    const serial = cert.serialNumber?.toLowerCase();
    if (!instanceId || !serial) return socket.destroy();
    if (revoked.has(serial)) {
      opts.log.warn({ instanceId, serial }, "ctimanager: refused a revoked certificate");
      return socket.destroy();
    }
    const open = byInstance.get(instanceId) ?? new Set<tls.TLSSocket>();
    if (open.size > 0) {
      revoked.add(serial);
      for (const s of open) if ((s.getPeerCertificate().serialNumber ?? "").toLowerCase() !== serial) revoked.add(s.getPeerCertificate().serialNumber.toLowerCase());
      opts.log.error({ instanceId, serial }, "ctimanager: instance ID used by two connections at once: its certificate is invalidated");
      for (const s of open) s.destroy();
      return socket.destroy();
    }
    open.add(socket);
    byInstance.set(instanceId, open);
    socket.on("close", () => open.delete(socket));
    opts.onSocket(socket, { instanceId });
  });
  server.on("tlsClientError", (err) => opts.log.warn({ err: err.message }, "ctimanager: TLS handshake refused"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    revoked,
    close: () => new Promise((resolve) => {
      for (const s of all) s.destroy();
      server.close(() => resolve());
    }),
  };
}
