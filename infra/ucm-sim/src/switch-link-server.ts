// The switch link on the CTIManager side: framed JSON, JTAPI vocabulary (docs/switch-link.md).
// One handler per connection; a TLS listener can hand its sockets to handleConnection too.
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { encodeFrame, FrameDecoder, FrameError } from "../../../shared/node/framing.js";
import { AgentToSwitch, type JtapiEvent, type Snapshot, SWITCH_LINK_PROTOCOL, type SwitchOp, type SwitchToAgent } from "../../../shared/switch-link.js";
import type { Cluster } from "./model/cluster.js";
import { SwitchFault } from "./model/types.js";
import { snapshotPages } from "./snapshot-pages.js";

export const HELLO_TIMEOUT_MS = 10_000;

/** Each connection is one JTAPI provider; its id tells whose remote-destination change is whose. */
let providerSequence = 0;

export interface SwitchLinkServer {
  port: number;
  /** Serves an already-accepted socket (plain TCP or TLS). */
  handleConnection(socket: Duplex & { remoteAddress?: string; destroy(): void; setNoDelay?(noDelay?: boolean): unknown }, info?: { instanceId?: string }): void;
  /** Drops every link connection (a CTIManager restart, for tests of reconnection). */
  dropAll(): number;
  connections(): number;
  close(): Promise<void>;
}

export async function startSwitchLinkServer(cluster: Cluster, opts: { host: string; port: number; log: Logger }): Promise<SwitchLinkServer> {
  const live = new Set<{ destroy(): void }>();
  const log = opts.log.child({ cluster: cluster.name });

  const handleConnection: SwitchLinkServer["handleConnection"] = (socket, info) => {
    const peer = socket.remoteAddress ?? "?";
    // a response frame must not wait for the agent's delayed ACK (Nagle): ~40 ms per request otherwise;
    // a TLS socket passes this on to its TCP socket
    socket.setNoDelay?.(true);
    const decoder = new FrameDecoder();
    let user: { user: string; devices: Set<string> } | null = null;
    const provider = `provider-${++providerSequence}`;
    let observing = false;
    let inRequest = false;
    const held: JtapiEvent[][] = [];
    const conn = { destroy: () => socket.destroy() };
    live.add(conn);

    const send = (message: SwitchToAgent) => {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    };
    const fatal = (message: string) => {
      log.warn({ peer, user: user?.user }, `switch link closed: ${message}`);
      send({ type: "error", message });
      socket.end();
      setTimeout(() => socket.destroy(), 100).unref();
    };
    const helloTimer = setTimeout(() => fatal(`no hello within ${HELLO_TIMEOUT_MS / 1000} s`), HELLO_TIMEOUT_MS);

    const unsubscribe = cluster.onBatch((batch, concerns) => {
      if (!observing || !user) return;
      if (![...concerns.addresses].some((a) => user!.devices.has(a))) return;
      // the answer to a request goes out before the events the request caused
      if (inRequest) held.push(batch);
      else send({ type: "events", events: batch });
    });
    // a provider event, each provider with its own isMyAppLastToSetActiveRD (JDG p.923)
    const unsubscribeRemote = cluster.remote.onChange((change) => {
      if (!observing || !user || !user.devices.has(change.dn) || change.except === provider) return;
      const batch: JtapiEvent[] = [{
        id: "CiscoProvTerminalRemoteDestinationChangedEv",
        cause: 100,
        address: change.dn,
        terminal: change.terminal,
        remoteDestinations: change.remoteDestinations,
        myAppLastToSetActiveRD: change.lastSetBy === provider,
        time: new Date().toISOString(),
      }];
      if (inRequest) held.push(batch);
      else send({ type: "events", events: batch });
    });

    const onRequest = (id: number, op: SwitchOp) => {
      inRequest = true;
      try {
        const result = perform(op);
        if (op.op === "snapshot") {
          // sent at once, before any event: the pages together are the gapless snapshot
          const pages = snapshotPages(result as unknown as Snapshot);
          pages.forEach((page, i) => send({ type: "response", id, ok: true, result: page as unknown as Record<string, unknown>, ...(i < pages.length - 1 ? { more: true } : {}) }));
        } else send({ type: "response", id, ok: true, result });
      } catch (err) {
        if (err instanceof SwitchFault) send({ type: "response", id, ok: false, error: { exception: err.exception, message: err.message, ...(err.errorName ? { errorName: err.errorName } : {}) } });
        else {
          log.error({ err }, "request failed");
          send({ type: "response", id, ok: false, error: { exception: "PlatformException", message: String((err as Error).message) } });
        }
      } finally {
        inRequest = false;
        for (const batch of held.splice(0)) send({ type: "events", events: batch });
      }
    };

    const controlled = (dn: string) => {
      if (!cluster.devices.has(dn)) throw new SwitchFault("InvalidArgumentException", `${dn} is not an address of this provider`);
      if (!user!.devices.has(dn)) throw new SwitchFault("PrivilegeViolationException", `application user ${user!.user} does not control DN ${dn}`);
    };

    const perform = (op: SwitchOp): Record<string, unknown> => {
      switch (op.op) {
        case "snapshot":
          observing = true;
          return cluster.snapshot(user!.devices, provider) as unknown as Record<string, unknown>;
        case "makeCall":
          controlled(op.from);
          return { callId: cluster.originate(op.from, op.to, "cti").id };
        case "answer":
          controlled(op.address);
          cluster.answer(op.callId, op.address);
          return {};
        case "disconnect":
          controlled(op.address);
          cluster.disconnect(op.callId, op.address);
          return {};
        case "hold":
          controlled(op.address);
          cluster.hold(op.callId, op.address);
          return {};
        case "unhold":
          controlled(op.address);
          cluster.unhold(op.callId, op.address);
          return {};
        case "consult":
          controlled(op.address);
          return { callId: cluster.consult(op.callId, op.address, op.destination).id };
        case "transfer":
          controlled(op.address);
          cluster.transfer(op.callId, op.consultCallId, op.address);
          return {};
        case "conference":
          controlled(op.address);
          cluster.conference(op.callId, op.consultCallId, op.address);
          return {};
        case "dropParty":
          controlled(op.address);
          cluster.dropFromConference(op.callId, op.address, op.party);
          return {};
        case "singleStepTransfer":
          controlled(op.address);
          cluster.singleStepTransfer(op.callId, op.address, op.destination);
          return {};
        case "alternate":
          controlled(op.address);
          cluster.alternate(op.callId, op.activeCallId, op.address);
          return {};
        case "reconnect":
          controlled(op.address);
          cluster.reconnect(op.callId, op.consultCallId, op.address);
          return {};
        case "redirect":
          controlled(op.address);
          cluster.redirect(op.callId, op.address, op.destination);
          return {};
        case "dropCall":
          controlled(op.address);
          cluster.dropCall(op.callId, op.address);
          return {};
        case "addParty":
          controlled(op.address);
          cluster.addParty(op.callId, op.address, op.destination);
          return {};
        case "startMonitor":
          controlled(op.monitor);
          cluster.device(op.address);
          return { callId: cluster.startMonitor(op.callId, op.address, op.monitor, op.monitorType, op.tone).id };
        case "setRemoteDestination":
          controlled(op.address);
          return cluster.remote.set(provider, op.address, op.number, op.name, op.active);
      }
    };

    socket.on("data", (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return fatal(err instanceof FrameError ? err.message : "unreadable frame");
      }
      for (const frame of frames) {
        const parsed = AgentToSwitch.safeParse(frame);
        if (!parsed.success) {
          const id = (frame as { id?: unknown })?.id;
          if ((frame as { type?: unknown })?.type === "request" && typeof id === "number") {
            send({ type: "response", id, ok: false, error: { exception: "InvalidArgumentException", message: `bad request: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}` } });
            continue;
          }
          return fatal(`unknown or malformed message: ${parsed.error.issues[0]?.message}`);
        }
        const msg = parsed.data;
        if (msg.type === "ping") { send({ type: "pong" }); continue; }
        if (msg.type === "pong") continue;
        if (msg.type === "hello") {
          if (user) return fatal("hello sent twice");
          if (msg.protocol !== SWITCH_LINK_PROTOCOL) return fatal(`protocol ${msg.protocol} is not supported; this CTIManager speaks ${SWITCH_LINK_PROTOCOL}`);
          const account = cluster.config.users.find((u) => u.user === msg.user && u.password === msg.password);
          if (!account) return fatal("authentication failed: unknown application user or wrong password");
          clearTimeout(helloTimer);
          user = { user: account.user, devices: new Set(account.devices ?? cluster.config.devices.map((d) => d.dn)) };
          // the same application user and instance coming back gets its remote destinations back (JDG p.923)
          cluster.remote.providerOpened(provider, [account.user, msg.application, msg.link, msg.instanceId ?? info?.instanceId ?? ""].join("|"));
          log.info({ peer, user: account.user, link: msg.link, instanceId: info?.instanceId }, "switch link opened");
          send({ type: "welcome", protocol: SWITCH_LINK_PROTOCOL, cluster: cluster.name, provider: "IN_SERVICE", time: new Date().toISOString() });
          continue;
        }
        if (!user) return fatal("send hello first");
        const { type: _type, id, ...op } = msg as { type: "request"; id: number } & SwitchOp;
        onRequest(id, op as SwitchOp);
      }
    });
    const cleanup = () => {
      clearTimeout(helloTimer);
      unsubscribe();
      unsubscribeRemote();
      live.delete(conn);
      if (user) cluster.remote.providerClosed(provider);
    };
    socket.on("close", () => {
      cleanup();
      if (user) log.info({ peer, user: user.user }, "switch link closed");
    });
    socket.on("error", (err) => log.debug({ peer, err: err.message }, "switch link socket error"));
  };

  const server = net.createServer((socket) => handleConnection(socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    handleConnection,
    dropAll() {
      const n = live.size;
      for (const c of [...live]) c.destroy();
      return n;
    },
    connections: () => live.size,
    close: () => new Promise<void>((resolve) => {
      for (const c of [...live]) c.destroy();
      server.close(() => resolve());
    }),
  };
}
