// The agent's switch links: one client per configured link-N, over plain TCP or TLS as the link's
// options decide (link-agent/src/tls). They are set up once the site's link options are known, and a
// link is rebuilt when its own section changes (link-N options act at once; link-tls after a restart).
import type { Logger } from "pino";
import type { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import { type AgentConfig, type LinkConfig, tlsRequired } from "./config.js";
import { type SocketFactory, SwitchLinkClient, type SwitchLinkTiming } from "./switch-link-client.js";
import { prepareTls, type TlsDecision } from "./tls/tls-setup.js";
import { BridgeSupervisor, bridgeTlsOptions } from "./bridge-supervisor.js";

type Sections = Record<string, Record<string, string>>;

export interface LinkHooks {
  onUp(link: string, snapshot: Snapshot): void;
  onEvents(link: string, events: JtapiEvent[]): void;
  onDown(link: string, reason: string): void;
}

export interface LinkOverrides {
  /** Socket factories by link name, instead of TCP/TLS (tests). */
  sockets?: Record<string, SocketFactory>;
  timing?: Partial<SwitchLinkTiming>;
}

export class SwitchLinks {
  private links = new Map<string, { client: SwitchLinkClient; tls: boolean; bridge?: BridgeSupervisor }>();
  private siteOptions: Sections = {};
  private linkTlsAtStart: string | null = null;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly hooks: LinkHooks,
    private readonly overrides: LinkOverrides = {},
  ) {}

  /** The links were set up (they start once, with the first options or without them). */
  get started(): boolean {
    return this.linkTlsAtStart !== null;
  }

  get(name: string): SwitchLinkClient | undefined {
    return this.links.get(name)?.client;
  }

  clients(): SwitchLinkClient[] {
    return [...this.links.values()].map((l) => l.client);
  }

  states(): Array<{ name: string; up: boolean; tls: boolean }> {
    return [...this.links.values()].map(({ client, tls }) => ({ name: client.name, up: client.isUp, tls }));
  }

  /** Back-pressure, for the links there are and the ones set up later. */
  pause(): void {
    this.paused = true;
    for (const c of this.clients()) c.pause();
  }

  resume(): void {
    this.paused = false;
    for (const c of this.clients()) c.resume();
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.links.values()) {
      l.client.stop();
      l.bridge?.stop();
    }
  }

  // what a link runs with: the site's options, overridden by the agent's local ones (secrets, usually)
  private linkTlsOptions(): Record<string, string> {
    return { ...this.siteOptions["link-tls"], ...this.config.linkTls };
  }

  private linkSection(link: LinkConfig, options = this.siteOptions): Record<string, string> {
    return { ...options[link.name], ...link.options };
  }

  /** The site's link options, at every welcome and whenever they change. The first set starts the links. */
  async setOptions(options: Sections): Promise<void> {
    const before = this.siteOptions;
    this.siteOptions = options;
    if (this.linkTlsAtStart === null) return this.setUp();
    if (JSON.stringify(this.linkTlsOptions()) !== this.linkTlsAtStart) {
      this.log.warn("options of section link-tls changed: they take effect after the link agent restarts (pending)");
    }
    for (const link of this.config.links) {
      const was = this.linkSection(link, before);
      const is = this.linkSection(link);
      if (was["tls-instance-id"] === is["tls-instance-id"] && was["tls-auth-code"] === is["tls-auth-code"]) continue;
      this.log.info({ link: link.name }, `options of ${link.name} changed: dropping and reconnecting ${link.name}`);
      this.links.get(link.name)?.client.stop();
      this.links.get(link.name)?.bridge?.stop();
      this.links.delete(link.name);
      await this.setUp(link.name);
    }
  }

  /** Decides TLS for every link (once; later changes go through setOptions), or for `only`, and starts their clients. */
  async setUp(only?: string): Promise<void> {
    if (only === undefined) {
      if (this.linkTlsAtStart !== null) return;
      this.linkTlsAtStart = JSON.stringify(this.linkTlsOptions());
    }
    // a bridge link's TLS is JTAPI's own (the bridge gets the options): the agent fetches and enrolls nothing for it
    const direct = this.config.links.filter((l) => !l.bridge);
    const decisions = await prepareTls(this.linkTlsOptions(), direct.map((l) => ({ name: l.name, host: l.host, section: this.linkSection(l) })), this.log, only);
    if (this.stopped) return;
    for (const link of this.config.links.filter((l) => only === undefined || l.name === only)) {
      if (link.bridge) {
        this.startBridgeLink(link);
        continue;
      }
      const decision = decisions.get(link.name) ?? null;
      if (decision?.mode === "refused") continue; // logged by prepareTls: this link does not connect at all
      if (decision?.mode !== "tls" && tlsRequired(this.config, link)) {
        // the JTAPI password would go in clear: this link stays down until its TLS options are complete
        this.log.error({ link: link.name, host: link.host, requireTls: this.config.requireTls, reason: decision?.reason }, `${link.name} not connected: TLS towards ${link.host} is required (requireTls) and its TLS options are incomplete; complete link-tls and ${link.name}/tls-instance-id, or set requireTls false on this host`);
        continue;
      }
      const client = this.newClient(link, decision);
      this.links.set(link.name, { client, tls: decision?.mode === "tls" });
      this.log.info({ link: link.name, host: link.host, tls: decision?.mode === "tls", ...(decision?.mode === "tls" ? { instanceId: decision.instanceId } : {}) }, `${link.name} connecting over ${decision?.mode === "tls" ? "TLS" : "plain TCP"}`);
      if (this.paused) client.pause();
      client.start();
    }
  }

  /** A link served by a JTAPI bridge process: the supervisor starts it and is the link's socket factory. */
  private startBridgeLink(link: LinkConfig): void {
    const tls = bridgeTlsOptions(link.name, this.linkTlsOptions(), this.linkSection(link), this.log);
    const bridge = new BridgeSupervisor(link, link.bridge!, tls, this.log);
    const client = this.newClient(link, null, bridge.connect);
    this.links.set(link.name, { client, tls: tls !== null, bridge });
    this.log.info({ link: link.name, ctiManagers: link.host, tls: tls !== null, ...(tls ? { instanceId: tls.instanceId } : {}) }, `${link.name} connecting through a JTAPI bridge`);
    if (this.paused) client.pause();
    client.start();
  }

  private newClient(link: LinkConfig, decision: TlsDecision | null, bridgeConnect?: SocketFactory): SwitchLinkClient {
    const connect = this.overrides.sockets?.[link.name] ?? bridgeConnect
      ?? (decision?.mode === "tls" ? SwitchLinkClient.tls(link.host, link.tlsPort, decision.options) : SwitchLinkClient.tcp(link.host, link.port));
    return new SwitchLinkClient(link.name, {
      user: link.user,
      password: link.password,
      application: `link-agent ${this.config.agentId}`,
      connect,
      log: this.log,
      timing: this.overrides.timing,
      handlers: {
        onUp: (snapshot) => this.hooks.onUp(link.name, snapshot),
        onEvents: (events) => this.hooks.onEvents(link.name, events),
        onDown: (reason) => this.hooks.onDown(link.name, reason),
      },
    });
  }
}
