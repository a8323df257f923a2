// The link agent: switch links in, one uplink out, commands carried out in between. Every fact goes
// into one ordered stream: link up/down, snapshots, per-DN call and service facts, command results.
import type { Logger } from "pino";
import type { AgentConfig } from "./config.js";
import { createLogger } from "./log.js";
import { AgentMetrics } from "./metrics.js";
import { Normalizer } from "./normalizer.js";
import { CommandRunner } from "./commands.js";
import { splitSnapshot } from "./snapshot-chunks.js";
import { type LinkOverrides, SwitchLinks } from "./switch-links.js";
import { Uplink, type UplinkOptions, type UplinkStatus } from "./uplink.js";
import type { Snapshot } from "../../shared/switch-link.js";
import { SwitchEvent as SwitchEventSchema, type SwitchEvent } from "../../shared/uplink.js";

export interface LinkAgentStatus {
  uplink: UplinkStatus;
  links: Array<{ name: string; up: boolean; tls: boolean }>;
}

export interface LinkAgent {
  stop(): Promise<void>;
  status(): LinkAgentStatus;
  /** Resolves once the links were set up (after the site's options arrived, or the wait for them ran out). */
  linksReady: Promise<void>;
  log: Logger;
  metrics: AgentMetrics;
}

export interface StartOptions extends LinkOverrides {
  log?: Logger;
  /** Reconnection back-off of the uplink and the switch links (tests shorten it). */
  backoff?: { minMs: number; maxMs: number; refusedMs?: number };
  keepalive?: UplinkOptions["keepalive"];
}

export function startLinkAgent(config: AgentConfig, opts: StartOptions = {}): LinkAgent {
  const log = opts.log ?? createLogger(config.log.level, { site: config.site, agentId: config.agentId });
  const normalizer = new Normalizer();
  const now = () => new Date().toISOString();
  const metrics = new AgentMetrics();
  let stopped = false;

  /** The one way into the stream: an event the control plane would refuse would block every one behind it. */
  const emit = (event: SwitchEvent): void => {
    const checked = SwitchEventSchema.safeParse(event);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      log.warn({ kind: event.kind, dn: (event as { dn?: string }).dn, issue: `${issue?.path.join(".")}: ${issue?.message}` }, "dropped a switch event the uplink protocol does not allow");
      metrics.dropped.inc({ kind: String(event.kind) });
      return;
    }
    metrics.eventsIn.inc({ kind: event.kind });
    if (event.kind === "result") metrics.commandDone(event.commandId, event.ok);
    if (log.isLevelEnabled("debug")) log.debug({ event }, "switch event");
    uplink.enqueue(event);
  };

  const emitSnapshot = (link: string, snapshot: Snapshot) => {
    for (const chunk of splitSnapshot(normalizer.snapshot(link, snapshot, now()))) emit(chunk);
  };

  const links = new SwitchLinks(config, log, {
    onUp: (link, snapshot) => {
      metrics.linkConnects.inc({ link });
      emit({ kind: "link", time: now(), link, up: true });
      emitSnapshot(link, snapshot);
    },
    onEvents: (link, events) => {
      for (const e of events) {
        if (log.isLevelEnabled("trace")) log.trace({ link, jtapi: e }, "jtapi event");
        try {
          normalizer.apply(link, e, emit);
        } catch (err) {
          // one event the normalizer cannot read must not stop the link, nor the agent
          log.error({ link, id: e.id, callId: e.callId, err: (err as Error).message }, "could not normalize a switch event");
        }
      }
    },
    onDown: (link, reason) => {
      metrics.linkDowns.inc({ link });
      const carried = normalizer.releaseLink(link);
      normalizer.forgetLink(link);
      const others = links.clients().filter((c) => c.name !== link && c.isUp);
      // with other links up the site's link stays up: exactly the DNs this link carried go out of service
      // (CiscoOutOfServiceEv.CAUSE_CTIMANAGER_FAILURE), until a snapshot claims them again
      if (others.length > 0) for (const dn of carried) emit({ kind: "service", time: now(), dn, inService: false, oosCause: 1007 });
      emit({ kind: "link", time: now(), link, up: false, reason });
      // another link to the same cluster that lists them serves them from its next snapshot (redundancy)
      if (carried.length > 0) for (const c of others) c.refresh((snapshot) => { if (snapshot) emitSnapshot(c.name, snapshot); });
    },
  }, { sockets: opts.sockets, timing: { ...opts.timing, ...(opts.backoff ? { backoff: opts.backoff } : {}) } });

  const commands = new CommandRunner({
    linkFor: (dn) => {
      const name = normalizer.linkOf(dn);
      return name ? links.get(name) : undefined;
    },
    emit,
    // the normalizer reads some of JTAPI's reports knowing what the switch accepted (single-step transfer, merges, startMonitor)
    accepted: (link, op, result) => normalizer.switchAccepted(link, op, result),
    now,
    log,
  });

  /** Fresh snapshots from every link that is up; a link that cannot give one is reconnected (and snapshots then). */
  const resync = () => {
    for (const client of links.clients()) {
      if (!client.isUp) continue;
      client.refresh((snapshot) => {
        if (snapshot) emitSnapshot(client.name, snapshot);
        else client.reconnect("the switch did not answer the resync snapshot");
      });
    }
  };

  let linksReadyResolve!: () => void;
  const linksReady = new Promise<void>((r) => (linksReadyResolve = r));
  // option work runs one at a time: setting a link up may take TFTP and CAPF round trips
  let optionsWork: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>, what: string) => {
    optionsWork = optionsWork.then(work).catch((err) => log.error({ err: (err as Error).message }, what)).finally(() => linksReadyResolve());
  };

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
    keepalive: opts.keepalive,
    links: () => links.states().map(({ name, up }) => ({ name, up })),
    onCommand: (command) => {
      metrics.commandStarted(command.id, command.op);
      commands.run(command);
    },
    onWelcome: () => metrics.uplinkConnects.inc(),
    onResync: resync,
    onStreamRestart: resync,
    onOptions: (options) => serially(() => links.setOptions(options), "could not apply the site's link options"),
    onBackpressure: (full) => (full ? links.pause() : links.resume()),
  });

  // the switch links wait for the site's options (TLS); without the control plane, local options only
  const waitTimer = setTimeout(() => {
    if (stopped || links.started) return;
    log.warn({ waitedMs: config.optionsWaitMs }, "no word from the control plane yet: connecting the switch links with the local options");
    serially(() => links.setUp(), "could not set the switch links up");
  }, config.optionsWaitMs);

  uplink.start();
  log.info({ role: config.role, links: config.links.map((l) => `${l.name}=${l.host}:${l.port}`), controlPlane: config.controlPlane.url }, "link agent started");

  metrics.bind(() => ({ uplink: uplink.status(), links: links.states() }));

  return {
    log,
    metrics,
    linksReady,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(waitTimer);
      links.stop();
      await uplink.stop();
      log.info({ unacknowledged: uplink.buffer.size }, "link agent stopped");
    },
    status: () => ({ uplink: uplink.status(), links: links.states() }),
  };
}
