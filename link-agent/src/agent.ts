// The link agent: switch links in, one uplink out, commands carried out in between.
import type { Logger } from "pino";
import type { AgentConfig, LinkConfig } from "./config.js";
import { createLogger } from "./log.js";
import { Normalizer } from "./normalizer.js";
import { type SocketFactory, type SwitchAnswer, SwitchLinkClient } from "./switch-link-client.js";
import { Uplink } from "./uplink.js";
import { prepareTls, type TlsDecision } from "./tls/tls-setup.js";
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

type Sections = Record<string, Record<string, string>>;

export interface LinkAgent {
  stop(): Promise<void>;
  status(): { uplink: boolean; active: boolean; buffered: number; links: Array<{ name: string; up: boolean; tls: boolean }> };
  /** Resolves once the links were set up (after the site's options arrived, or the wait ran out). */
  linksReady: Promise<void>;
  log: Logger;
}

export function startLinkAgent(config: AgentConfig, opts: { sockets?: Record<string, SocketFactory>; log?: Logger; backoff?: { minMs: number; maxMs: number } } = {}): LinkAgent {
  const log = opts.log ?? createLogger(config.log.level, { site: config.site, agentId: config.agentId });
  const normalizer = new Normalizer();
  const now = () => new Date().toISOString();
  const links = new Map<string, { client: SwitchLinkClient; decision: TlsDecision | null }>();
  const emit = (event: SwitchEvent) => uplink.enqueue(event);
  let siteOptions: Sections = {};
  let linkTlsAtStart = "";
  let stopped = false;

  // what a link runs with: the site's options, overridden by the agent's local ones (secrets, usually)
  const linkTlsOptions = () => ({ ...siteOptions["link-tls"], ...config.linkTls });
  const linkSection = (link: LinkConfig) => ({ ...siteOptions[link.name], ...link.options });

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
    links: () => [...links.entries()].map(([name, l]) => ({ name, up: l.client.isUp })),
    onCommand: (command) => carryOut(command),
    onResync: () => {
      log.info("control plane asked for a resync: fresh snapshots from every link");
      for (const { client } of links.values()) {
        if (!client.isUp) continue;
        client.refresh((snapshot) => {
          if (snapshot) emit(normalizer.snapshot(client.name, snapshot, now()));
          else client.reconnect("the switch did not answer the resync snapshot");
        });
      }
    },
    onBackpressure: (full) => {
      for (const { client } of links.values()) (full ? client.pause() : client.resume());
    },
    onOptions: (options, initial) => {
      const before = siteOptions;
      siteOptions = options;
      if (initial) return setUpOnce();
      void optionsChanged(before);
    },
  });

  function newClient(link: LinkConfig, decision: TlsDecision | null): SwitchLinkClient | null {
    if (decision?.mode === "refused") return null;
    const connect = opts.sockets?.[link.name]
      ?? (decision?.mode === "tls" ? SwitchLinkClient.tls(link.host, link.tlsPort, decision.options) : SwitchLinkClient.tcp(link.host, link.port));
    return new SwitchLinkClient(link.name, {
      user: link.user,
      password: link.password,
      application: `link-agent ${config.agentId}`,
      connect,
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
  }

  async function setUpLinks(only?: string): Promise<void> {
    const targets = config.links.filter((l) => !only || l.name === only);
    const decisions = await prepareTls(linkTlsOptions(), config.links.map((l) => ({ name: l.name, host: l.host, section: linkSection(l) })), log, only);
    if (stopped) return;
    for (const link of targets) {
      const decision = decisions.get(link.name) ?? null;
      const client = newClient(link, decision);
      if (!client) continue; // refused: logged by prepareTls, no connection at all
      links.set(link.name, { client, decision });
      log.info({ link: link.name, tls: decision?.mode === "tls", ...(decision?.mode === "tls" ? { instanceId: decision.instanceId } : {}) }, `${link.name} connecting over ${decision?.mode === "tls" ? "TLS" : "plain TCP"}`);
      client.start();
    }
  }

  let linksReadyResolve!: () => void;
  const linksReady = new Promise<void>((r) => (linksReadyResolve = r));
  let setUp = false;
  function setUpOnce(): void {
    if (setUp) return;
    setUp = true;
    linkTlsAtStart = JSON.stringify(linkTlsOptions());
    void setUpLinks().finally(() => linksReadyResolve());
  }
  // the switch links wait for the site's options (TLS); without the control plane, local options only
  const waitTimer = setTimeout(() => {
    if (!setUp) log.warn({ waitedMs: config.optionsWaitMs }, "no word from the control plane: connecting the switch links with the local options only");
    setUpOnce();
  }, config.optionsWaitMs);

  /** link-N options act at once on that link; link-tls options wait for a restart. */
  async function optionsChanged(before: Sections): Promise<void> {
    if (JSON.stringify(linkTlsOptions()) !== linkTlsAtStart) {
      log.warn("options of section link-tls changed: they take effect after the link agent restarts (pending)");
    }
    for (const link of config.links) {
      const was = { ...before[link.name], ...link.options };
      const is = linkSection(link);
      if (was["tls-instance-id"] === is["tls-instance-id"] && was["tls-auth-code"] === is["tls-auth-code"]) continue;
      log.info({ link: link.name }, `options of ${link.name} changed: dropping and reconnecting ${link.name}`);
      links.get(link.name)?.client.stop();
      links.delete(link.name);
      await setUpLinks(link.name);
    }
  }

  const toSwitch = (c: SiteCommand): SwitchOp | null => {
    switch (c.op) {
      case "makeCall": return c.otherDN ? { op: "makeCall", from: c.dn, to: c.otherDN } : null;
      case "answer": return c.callId ? { op: "answer", callId: c.callId, address: c.dn } : null;
      case "release": return c.callId ? { op: "disconnect", callId: c.callId, address: c.dn } : null;
      case "hold": return c.callId ? { op: "hold", callId: c.callId, address: c.dn } : null;
      case "retrieve": return c.callId ? { op: "unhold", callId: c.callId, address: c.dn } : null;
      case "initiateTransfer": return c.callId && c.otherDN ? { op: "consult", callId: c.callId, address: c.dn, destination: c.otherDN } : null;
      case "completeTransfer": return c.callId && c.consultCallId ? { op: "transfer", callId: c.callId, consultCallId: c.consultCallId, address: c.dn } : null;
      case "singleStepTransfer": return c.callId && c.otherDN ? { op: "singleStepTransfer", callId: c.callId, address: c.dn, destination: c.otherDN } : null;
      case "initiateConference": return c.callId && c.otherDN ? { op: "consult", callId: c.callId, address: c.dn, destination: c.otherDN } : null;
      case "completeConference": return c.callId && c.consultCallId ? { op: "conference", callId: c.callId, consultCallId: c.consultCallId, address: c.dn } : null;
      case "deleteFromConference": return c.callId && c.otherDN ? { op: "dropParty", callId: c.callId, address: c.dn, party: c.otherDN } : null;
      case "startMonitor": return c.callId && c.otherDN ? { op: "startMonitor", callId: c.callId, address: c.dn, monitor: c.otherDN } : null;
      case "alternate": return c.callId && c.consultCallId ? { op: "alternate", callId: c.callId, activeCallId: c.consultCallId, address: c.dn } : null;
      case "reconnect": return c.callId && c.consultCallId ? { op: "reconnect", callId: c.callId, consultCallId: c.consultCallId, address: c.dn } : null;
      case "redirect": return c.callId && c.otherDN ? { op: "redirect", callId: c.callId, address: c.dn, destination: c.otherDN } : null;
      case "routeCall": return c.callId && c.otherDN ? { op: "selectRoute", callId: c.callId, address: c.dn, destination: c.otherDN } : null;
      default: return null;
    }
  };

  function carryOut(command: SiteCommand): void {
    const result = (answer: SwitchAnswer) => {
      // enqueued when the switch's answer is read: ahead of the events the command caused
      emit(answer.ok
        ? { kind: "result", time: now(), dn: command.dn, commandId: command.id, ok: true, ...(typeof answer.result.callId === "string" ? { callId: answer.result.callId } : {}) }
        : { kind: "result", time: now(), dn: command.dn, commandId: command.id, ok: false, errorCode: errorCodeFor(answer.error.exception, answer.error.message), errorMessage: `${answer.error.exception}: ${answer.error.message}` });
    };
    const op = toSwitch(command);
    if (!op) return result({ ok: false, error: { exception: "MethodNotSupportedException", message: `${command.op} needs attributes the command lacks` } });
    const linkName = normalizer.linkOf(command.dn);
    const link = linkName ? links.get(linkName)?.client : undefined;
    if (!link) return result({ ok: false, error: { exception: "LinkDown", message: `no link serves DN ${command.dn}` } });
    log.debug({ command: command.op, dn: command.dn, link: link.name }, "command");
    link.requestThen(op, result);
  }

  uplink.start();
  log.info({ site: config.site, links: config.links.map((l) => `${l.name}=${l.host}:${l.port}`), controlPlane: config.controlPlane.url }, "link agent started");

  return {
    log,
    linksReady,
    async stop() {
      stopped = true;
      clearTimeout(waitTimer);
      for (const { client } of links.values()) client.stop();
      await uplink.stop();
      log.info("link agent stopped");
    },
    status: () => ({ uplink: uplink.connected, active: uplink.active, buffered: uplink.buffer.size, links: [...links.values()].map(({ client, decision }) => ({ name: client.name, up: client.isUp, tls: decision?.mode === "tls" })) }),
  };
}
