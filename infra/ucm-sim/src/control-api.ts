// The people at the phones, over HTTP (client-api.md, "Simulator control").
import http from "node:http";
import type { Logger } from "pino";
import type { Network } from "./model/network.js";
import type { Cluster } from "./model/cluster.js";
import { SwitchFault } from "./model/types.js";

export const MAX_CONTROL_BODY = 16 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Handler = (cluster: Cluster, dn: string, body: Record<string, unknown>) => unknown;

/** The one call of a device that an action by hand applies to. */
function pick(cluster: Cluster, dn: string, test: (state: string, term: string | undefined) => boolean, what: string) {
  const call = cluster.callsOf(dn).find((c) => {
    const mine = c.connections.find((x) => x.address === dn && x.state !== "DISCONNECTED")!;
    return test(mine.state, mine.termState);
  });
  if (!call) throw new HttpError(409, `DN ${dn} has no ${what} call`);
  return call;
}

const deviceActions: Record<string, Handler> = {
  offhook(cluster, dn, body) {
    const dial = body.dial;
    if (dial !== undefined && (typeof dial !== "string" || !/^[0-9*#+]{1,32}$/.test(dial))) throw new HttpError(400, "dial must be a number (digits, * # +)");
    // with a call on hold, lifting the handset and dialing places a new call; a dialtone call waits for dial
    const waiting = cluster.callsOf(dn).find((c) => c.connections.some((x) => x.address === dn && x.state === "INITIATED"));
    if (waiting && dial) cluster.dial(waiting.id, dn, dial);
    else if (waiting) throw new HttpError(409, `DN ${dn} is already off-hook`);
    else cluster.originate(dn, (dial as string | undefined) ?? null, "manual");
  },
  dial(cluster, dn, body) {
    if (typeof body.number !== "string") throw new HttpError(400, "number is required");
    const waiting = pick(cluster, dn, (s) => s === "INITIATED", "off-hook");
    cluster.dial(waiting.id, dn, body.number);
  },
  answer(cluster, dn) {
    cluster.answer(pick(cluster, dn, (s) => s === "ALERTING", "ringing").id, dn);
  },
  hangup(cluster, dn) {
    // the talking call first, else any call (a ringing call is refused this way, as on a phone)
    const talking = cluster.callsOf(dn).find((c) => c.connections.some((x) => x.address === dn && x.termState === "TALKING"));
    const call = talking ?? pick(cluster, dn, (s) => s !== "ALERTING", "active");
    cluster.disconnect(call.id, dn);
  },
  hold(cluster, dn) {
    cluster.hold(pick(cluster, dn, (s, t) => s === "ESTABLISHED" && t === "TALKING", "talking").id, dn);
  },
  retrieve(cluster, dn) {
    cluster.unhold(pick(cluster, dn, (_s, t) => t === "HELD", "held").id, dn);
  },
  "out-of-service"(cluster, dn) {
    cluster.setInService(dn, false);
  },
  /** The CallManager node carrying the device fails: its calls stay up, their observation ends (JDG "Cisco UCM Server Failure"). */
  "node-failure"(cluster, dn) {
    cluster.setInService(dn, false, "node-failure");
  },
  "in-service"(cluster, dn) {
    cluster.setInService(dn, true);
  },
};

export function startControlApi(network: Network, opts: { host: string; port: number; log: Logger; dropLinks: (cluster: string) => number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_CONTROL_BODY) chunks.push(c);
    });
    req.on("end", () => {
      try {
        if (size > MAX_CONTROL_BODY) throw new HttpError(413, `body larger than ${MAX_CONTROL_BODY} bytes`);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: Record<string, unknown> = {};
        if (text.trim()) {
          try { body = JSON.parse(text); } catch { throw new HttpError(400, "body is not valid JSON"); }
          if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, "body must be a JSON object");
        }
        reply(...route(req.method ?? "GET", new URL(req.url ?? "/", "http://x").pathname, body));
      } catch (err) {
        if (err instanceof HttpError) return reply(err.status, { error: err.message });
        if (err instanceof SwitchFault) return reply(err.status, { error: err.message, exception: err.exception });
        opts.log.error({ err }, "control API failure");
        reply(500, { error: "internal error" });
      }
    });
  });

  const route = (method: string, path: string, body: Record<string, unknown>): [number, unknown] => {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "GET" && path === "/health") return [200, { ok: true }];
    if (parts[0] !== "clusters") throw new HttpError(404, `no route ${method} ${path}`);
    if (parts.length === 1 && method === "GET") return [200, { clusters: [...network.clusters.keys()] }];
    const cluster = network.cluster(parts[1] ?? "");
    if (!cluster) throw new HttpError(404, `no cluster "${parts[1]}"`);
    const [, , kind, id, action] = parts;
    if (kind === "devices" && !id && method === "GET") return [200, { devices: [...cluster.devices.keys()].map((dn) => cluster.describe(dn)) }];
    if (kind === "devices" && id) {
      cluster.device(id); // 404 for an unknown device
      if (!action && method === "GET") return [200, cluster.describe(id)];
      const handler = action ? deviceActions[action] : undefined;
      if (!handler || method !== "POST") throw new HttpError(404, `no route ${method} ${path}`);
      try {
        handler(cluster, id, body);
      } catch (err) {
        if (err instanceof SwitchFault && err.status !== 404) throw new HttpError(409, err.message);
        throw err;
      }
      opts.log.info({ cluster: cluster.name, dn: id, action, ...body }, "by hand");
      return [200, cluster.describe(id)];
    }
    if (kind === "remote-destinations" && id && method === "POST" && (action === "answer" || action === "hangup")) {
      if (!network.isPstnNumber(id) && !cluster.remote.knows(id)) throw new HttpError(404, `no remote destination ${id}`);
      try {
        // a remote terminal extended to this mobile first (its call rings there: jtapi-fidelity B.2 (1) 5), else a PSTN call to it
        const viaRemote = action === "answer" ? cluster.remote.mobileAnswer(id) : cluster.remote.mobileHangup(id);
        const call = viaRemote ?? (action === "answer" ? cluster.pstnAnswer(id) : cluster.pstnHangup(id));
        opts.log.info({ cluster: cluster.name, number: id, action, callId: call.id }, "at the mobile");
        return [200, { number: id, callId: call.id }];
      } catch (err) {
        if (err instanceof SwitchFault) throw new HttpError(409, err.message);
        throw err;
      }
    }
    if (kind === "links" && id === "drop" && method === "POST") return [200, { dropped: opts.dropLinks(cluster.name) }];
    throw new HttpError(404, `no route ${method} ${path}`);
  };

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://${opts.host}:${port}`,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
