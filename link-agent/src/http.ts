// The agent's local HTTP server for operators: /healthz (liveness), /readyz (ready to carry calls),
// /metrics (Prometheus). Loopback by default: it tells about the site, so expose it deliberately.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { LinkAgent } from "./agent.js";

export interface Observability {
  port: number;
  close(): Promise<void>;
}

/** Health of one agent: live while the process serves; ready while welcomed upstream with every link up. */
export function health(agent: LinkAgent, site: string, agentId: string): { status: "ok" | "degraded"; ready: boolean; body: Record<string, unknown> } {
  const { uplink, links } = agent.status();
  const ready = uplink.connected && links.length > 0 && links.every((l) => l.up);
  return {
    status: ready ? "ok" : "degraded",
    ready,
    body: {
      status: ready ? "ok" : "degraded", program: "link-agent", site, agentId, time: new Date().toISOString(),
      uplink: { connected: uplink.connected, active: uplink.active, buffered: uplink.buffered, backpressure: uplink.backpressure },
      links: links.map(({ name, up, tls }) => ({ name, up, tls })),
    },
  };
}

export function startObservability(agent: LinkAgent, opts: { host: string; port: number; site: string; agentId: string }): Promise<Observability> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "application/json", JSON.stringify({ error: "only GET" }));
    if (path === "/healthz" || path === "/readyz") {
      const h = health(agent, opts.site, opts.agentId);
      // liveness answers 200 while the process serves (a restart does not mend a distant control plane)
      return send(path === "/readyz" && !h.ready ? 503 : 200, "application/json", JSON.stringify(h.body));
    }
    if (path === "/metrics") {
      agent.metrics.registry.metrics().then(
        (text) => send(200, agent.metrics.registry.contentType, text),
        (err: Error) => send(500, "application/json", JSON.stringify({ error: err.message })),
      );
      return;
    }
    send(404, "application/json", JSON.stringify({ error: `no route ${path}; try /healthz, /readyz or /metrics` }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
