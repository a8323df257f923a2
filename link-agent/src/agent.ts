// The link agent: switch links in, one uplink out, commands carried out in between.
import type { Logger } from "pino";
import type { AgentConfig } from "./config.js";
import { createLogger } from "./log.js";
import { Normalizer } from "./normalizer.js";
import { type SocketFactory, type SwitchAnswer, SwitchLinkClient } from "./switch-link-client.js";
import { Uplink } from "./uplink.js";
import { ErrorCode } from "../../shared/tlib.js";
import type { SwitchOp } from "../../shared/switch-link.js";
import type { SiteCommand, SwitchEvent } from "../../shared/uplink.js";

/** How a switch's refusal reads as a T-Library errorCode. */
const errorCodes: Record<string, number> = {
  InvalidArgumentException: ErrorCode.InvalidAttribute,
  InvalidPartyException: ErrorCode.TargetDNInvalid,
  InvalidStateException: ErrorCode.UnsupportedOperation,
  MethodNotSupportedException: ErrorCode.UnsupportedOperation,
  PrivilegeViolationException: ErrorCode.ClientNotAuthorized,
  ResourceUnavailableException: ErrorCode.OutOfService,
  PlatformException: ErrorCode.InternalError,
  Timeout: ErrorCode.Timeout,
  LinkDown: ErrorCode.NoSwitchLink,
};

export function errorCodeFor(exception: string, message: string): number {
  if (exception === "ResourceUnavailableException" && /busy/i.test(message)) return ErrorCode.DNBusy;
  return errorCodes[exception] ?? ErrorCode.Unknown;
}

export interface LinkAgent {
  stop(): Promise<void>;
  status(): { uplink: boolean; active: boolean; buffered: number; links: Array<{ name: string; up: boolean }> };
  log: Logger;
}

export function startLinkAgent(config: AgentConfig, opts: { sockets?: Record<string, SocketFactory>; log?: Logger; backoff?: { minMs: number; maxMs: number } } = {}): LinkAgent {
  const log = opts.log ?? createLogger(config.log.level, { site: config.site, agentId: config.agentId });
  const normalizer = new Normalizer();
  const now = () => new Date().toISOString();
  const links = new Map<string, SwitchLinkClient>();
  const emit = (event: SwitchEvent) => uplink.enqueue(event);

  const uplink = new Uplink({
    url: config.controlPlane.url,
    site: config.site,
    linkKey: config.controlPlane.linkKey,
    agentId: config.agentId,
    role: config.role,
    batch: config.batch,
    bufferEvents: config.buffer.maxEvents,
    log,
    backoff: opts.backoff,
    links: () => [...links.values()].map((l) => ({ name: l.name, up: l.isUp })),
    onCommand: (command) => carryOut(command),
    onResync: () => {
      log.info("control plane asked for a resync: fresh snapshots from every link");
      for (const l of links.values()) {
        if (!l.isUp) continue;
        l.refresh((snapshot) => {
          if (snapshot) emit(normalizer.snapshot(l.name, snapshot, now()));
          else l.reconnect("the switch did not answer the resync snapshot");
        });
      }
    },
    onBackpressure: (full) => {
      for (const l of links.values()) (full ? l.pause() : l.resume());
    },
  });

  for (const link of config.links) {
    const client = new SwitchLinkClient(link.name, {
      user: link.user,
      password: link.password,
      application: `link-agent ${config.agentId}`,
      connect: opts.sockets?.[link.name] ?? SwitchLinkClient.tcp(link.host, link.port),
      log,
      backoff: opts.backoff,
      handlers: {
        onUp: (snapshot) => {
          emit({ kind: "link", time: now(), link: link.name, up: true });
          emit(normalizer.snapshot(link.name, snapshot, now()));
        },
        onEvents: (events) => {
          for (const e of events) normalizer.apply(link.name, e, emit);
        },
        onDown: (reason) => {
          normalizer.forgetLink(link.name);
          emit({ kind: "link", time: now(), link: link.name, up: false, reason });
        },
      },
    });
    links.set(link.name, client);
  }

  const toSwitch = (c: SiteCommand): SwitchOp | null => {
    switch (c.op) {
      case "makeCall": return c.otherDN ? { op: "makeCall", from: c.dn, to: c.otherDN } : null;
      case "answer": return c.callId ? { op: "answer", callId: c.callId, address: c.dn } : null;
      case "release": return c.callId ? { op: "disconnect", callId: c.callId, address: c.dn } : null;
      case "hold": return c.callId ? { op: "hold", callId: c.callId, address: c.dn } : null;
      case "retrieve": return c.callId ? { op: "unhold", callId: c.callId, address: c.dn } : null;
      default: return null;
    }
  };

  function carryOut(command: SiteCommand): void {
    const result = (answer: SwitchAnswer) => {
      // enqueued when the switch's answer arrives: ahead of the events the command caused
      emit(answer.ok
        ? { kind: "result", time: now(), dn: command.dn, commandId: command.id, ok: true, ...(typeof answer.result.callId === "string" ? { callId: answer.result.callId } : {}) }
        : { kind: "result", time: now(), dn: command.dn, commandId: command.id, ok: false, errorCode: errorCodeFor(answer.error.exception, answer.error.message), errorMessage: `${answer.error.exception}: ${answer.error.message}` });
    };
    const op = toSwitch(command);
    if (!op) return result({ ok: false, error: { exception: "MethodNotSupportedException", message: `${command.op} needs attributes the command lacks` } });
    const linkName = normalizer.linkOf(command.dn);
    const link = linkName ? links.get(linkName) : undefined;
    if (!link) return result({ ok: false, error: { exception: "LinkDown", message: `no link serves DN ${command.dn}` } });
    log.debug({ command: command.op, dn: command.dn, link: link.name }, "command");
    link.requestThen(op, result);
  }

  uplink.start();
  for (const l of links.values()) l.start();
  log.info({ site: config.site, links: config.links.map((l) => `${l.name}=${l.host}:${l.port}`), controlPlane: config.controlPlane.url }, "link agent started");

  return {
    log,
    async stop() {
      for (const l of links.values()) l.stop();
      await uplink.stop();
      log.info("link agent stopped");
    },
    status: () => ({ uplink: uplink.connected, active: uplink.active, buffered: uplink.buffer.size, links: [...links.values()].map((l) => ({ name: l.name, up: l.isUp })) }),
  };
}
