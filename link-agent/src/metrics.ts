// Prometheus metrics of one link agent (prom-client): what an operator graphs and alerts on. Counters are
// fed by the agent's hooks; gauges are read from the agent's status at scrape time, so they are never stale.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LinkAgentStatus } from "./agent.js";
import { CommandOp } from "../../shared/uplink.js";

const P = "tserver_link_agent_";

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly started = new Map<string, { at: number; op: string }>();
  private ackedSeen = 0;
  private status: () => LinkAgentStatus = () => ({ uplink: { connected: false, active: false, stream: "", lastSeq: 0, ackedUpTo: 0, buffered: 0, backpressure: false }, links: [] });

  readonly eventsIn = new Counter({ name: `${P}events_in_total`, help: "Facts from the switch links put into the uplink stream, by kind", labelNames: ["kind"], registers: [this.registry] });
  readonly eventsOut = new Counter({
    name: `${P}events_acknowledged_total`, help: "Events the control plane acknowledged", registers: [this.registry],
    collect: () => {
      const acked = this.status().uplink.ackedUpTo;
      // a restarted stream numbers from 1 again: count from there
      if (acked < this.ackedSeen) this.ackedSeen = 0;
      if (acked > this.ackedSeen) this.eventsOut.inc(acked - this.ackedSeen);
      this.ackedSeen = acked;
    },
  });
  readonly dropped = new Counter({ name: `${P}events_dropped_total`, help: "Events refused by the uplink schema before sending (logged)", labelNames: ["kind"], registers: [this.registry] });
  readonly commandsIn = new Counter({ name: `${P}commands_total`, help: "Commands received from the control plane", registers: [this.registry] });
  readonly commandSeconds = new Histogram({
    name: `${P}command_duration_seconds`, help: "From a command's arrival to its result (the switch's answer), by op and outcome",
    labelNames: ["op", "ok"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly uplinkConnects = new Counter({ name: `${P}uplink_connects_total`, help: "Uplink connections welcomed by the control plane (the first one, then reconnects)", registers: [this.registry] });
  readonly linkConnects = new Counter({ name: `${P}link_connects_total`, help: "Switch link connections that came up (the first one, then reconnects)", labelNames: ["link"], registers: [this.registry] });
  readonly linkDowns = new Counter({ name: `${P}link_downs_total`, help: "Switch link losses", labelNames: ["link"], registers: [this.registry] });

  constructor() {
    const read = () => this.status();
    new Gauge({ name: `${P}uplink_buffered_events`, help: "Events sent or waiting but not yet acknowledged", registers: [this.registry], collect() { this.set(read().uplink.buffered); } });
    new Gauge({ name: `${P}uplink_backpressure`, help: "1 while the buffer is full and the switch links are paused", registers: [this.registry], collect() { this.set(read().uplink.backpressure ? 1 : 0); } });
    new Gauge({ name: `${P}uplink_connected`, help: "1 while the uplink is connected and welcomed", registers: [this.registry], collect() { this.set(read().uplink.connected ? 1 : 0); } });
    new Gauge({ name: `${P}uplink_active`, help: "1 while this agent is the site's active agent", registers: [this.registry], collect() { this.set(read().uplink.active ? 1 : 0); } });
    new Gauge({
      name: `${P}link_up`, help: "1 while the switch link is up", labelNames: ["link", "tls"], registers: [this.registry],
      collect() {
        this.reset();
        for (const l of read().links) this.set({ link: l.name, tls: String(l.tls) }, l.up ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: P });
  }

  bind(status: () => LinkAgentStatus): void {
    this.status = status;
  }

  commandStarted(id: string, op: unknown): void {
    this.commandsIn.inc();
    // only the protocol's op names become labels: a bad command must not grow the label set
    const known = CommandOp.safeParse(op);
    const name = known.success ? known.data : "invalid";
    this.started.set(id, { at: performance.now(), op: name });
    // a command whose result never comes must not grow the map without bound
    if (this.started.size > 10_000) this.started.delete(this.started.keys().next().value!);
  }

  commandDone(id: string, ok: boolean): void {
    const s = this.started.get(id);
    if (!s) return;
    this.started.delete(id);
    this.commandSeconds.observe({ op: s.op, ok: String(ok) }, (performance.now() - s.at) / 1000);
  }
}
