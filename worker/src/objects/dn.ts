// Dn: one per tenant + site + DN number. Owns the DN's configuration, service state, its calls as
// this DN sees them, the client sessions registered on it, and the requests waiting for the switch.
import { DurableObject } from "cloudflare:workers";
import { type Env, callStub, dnStub, sessionStub, siteStub, tenantStub } from "../env.js";
import type { UserData, UserDataChange } from "./call.js";
import type { ClientRequest, TEvent } from "../../../shared/client-api.js";
import { CallState, CallType, ErrorCode, SwitchSpecificType } from "../../../shared/tlib.js";
import type { CommandOp, DnSwitchEvent, SnapshotDn } from "../../../shared/uplink.js";
import type { Delivery, DnCall, DnConfig, DnInput, DnSetup } from "../dn/types.js";
import { addressStatus, applyCallFact, applyPartyChanged, reconcile } from "../dn/calls.js";
import { errorEvent } from "../errors.js";
import { type AgentState, agentRequest, applyInvalidDestAction, type InvalidDestAction, loggedOut, parseInvalidDestAction } from "../dn/agent-state.js";
import { log } from "../log.js";
import type { SendResult } from "./site.js";
import {
  applyObserver, asRemoteObserver, checkExpectation, checkMonitorRequest, checkRemoteObserveSource, matchExpectation, type MonitorHandOff,
  monitorStarted, type Refusal, refuseOnMonitorCall, remoteObserveFlag, type RemoteObserverExpectation, transferredAway, withObserverMarks,
} from "../dn/monitor.js";
import { extendedAsAsked, noRemote, parseActivation, refuseOnRemoteTerminal, remoteExtensions, remoteInService, type RemoteState, serviceAnnouncement } from "../dn/remote.js";

export interface DnIdentity {
  tenant: string;
  site: string;
  number: string;
}

export interface DnRequest extends ClientRequest {
  referenceID: number;
  tenant: string;
  site: string;
}

export interface RequestOutcome {
  status: number;
  referenceID: number;
  event: TEvent;
}

interface Pending {
  referenceID: number;
  sessionId: string;
  expect: TEvent["event"];
  callId?: string;
  /** RequestInitiateTransfer: the connID of the call consulted about (the answer is the new call's EventDialing). */
  consultFor?: string;
  /** RequestRouteCall: where the call was sent, and the request's INVALID_DEST_ACTION, for feature F1. */
  route?: { destination: string; action: InvalidDestAction | null };
  /** RequestMakeCall: the number asked for (a remote terminal's EventDialing names it before the switch does). */
  otherDN?: string;
  resolve: (outcome: RequestOutcome) => void;
  timer?: ReturnType<typeof setTimeout>;
}

type CallPlan = { op: CommandOp; expect: TEvent["event"]; call?: DnCall; route?: Pending["route"]; consult?: DnCall };

interface Meta {
  identity: DnIdentity | null;
  config: DnConfig | null;
  switchInService: boolean;
  linkUp: boolean;
  agent: AgentState;
  /** RequestMonitorNextCall: the monitoring DN that listens to this DN's next established call. */
  monitorNext?: string;
  /** The highest sequence number applied of each agent stream (the newest few): a batch the Site resends is not applied twice. */
  applied?: Record<string, number>;
  /** The switch's kind of device behind this DN, from the last snapshot (B.0). */
  kind?: SnapshotDn["kind"];
  /** F2, on a monitoring DN: the agent it waits to monitor, and the agent's call handed over before startMonitor. */
  monitoring?: string;
  handOff?: MonitorHandOff;
  /** F2, on an agent's DN: startMonitor commands in flight (command id -> monitoring DN). */
  monitorCommands?: Record<string, string>;
  /** F2, on a CTI port: single-step transfers of its monitor calls (call id -> destination), for their EventReleased. */
  transfers?: Record<string, string>;
  /** F2, on a destination DN: the remote observers it waits for. */
  expectations?: RemoteObserverExpectation[];
  /** F3, on a remote terminal: its extend-and-connect ownership and switch state. */
  remote?: RemoteState;
}

/** How many agent streams a Dn remembers its applied position in. */
const STREAMS_REMEMBERED = 4;

export class Dn extends DurableObject<Env> {
  private meta: Meta = { identity: null, config: null, switchInService: false, linkUp: false, agent: loggedOut };
  private calls = new Map<string, DnCall>();
  private sessions = new Set<string>();
  private pendingByCommand = new Map<string, Pending>();
  /** Requests whose command the switch accepted, by the answering event and call; several may wait for the same one. */
  private pendingByAnswer = new Map<string, Pending[]>();
  /** Consult calls this DN placed (RequestInitiateTransfer): call id -> connID of the call they consult about. */
  private consults = new Map<string, string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // an object of a number nobody configured stays empty: asking about it must not create storage
      const sql = ctx.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length === 0) return;
      this.createTables();
      const stored = sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'state'").toArray()[0];
      if (stored) this.meta = { ...(JSON.parse(stored.v) as Meta) };
      this.meta.agent ??= loggedOut;
      for (const r of sql.exec<{ session_id: string }>("SELECT session_id FROM registrations")) this.sessions.add(r.session_id);
      for (const r of sql.exec<{ call_id: string; body: string }>("SELECT call_id, body FROM calls")) this.calls.set(r.call_id, JSON.parse(r.body) as DnCall);
    });
  }

  private createTables(): void {
    this.ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS registrations (session_id TEXT PRIMARY KEY, registered TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, body TEXT NOT NULL);
    `);
  }

  private saveMeta(): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('state', ?)", JSON.stringify(this.meta));
  }

  /**
   * Stores a call's change (nothing when nothing changed). The call's Call object (user data) hears
   * only of calls that have one: `joinData` says this call does, and this DN is new to it.
   */
  private saveCall(callId: string, call: DnCall | undefined, joinData = false): void {
    const had = this.calls.get(callId);
    let next = call;
    let join = false;
    if (next) {
      const sameCall = !!had && had.connID === next.connID;
      let party = sameCall && !!(had!.dataParty || next.dataParty);
      if (!party && joinData) party = join = true;
      if (party) next = next.dataParty ? next : { ...next, dataParty: true };
      else if (next.dataParty) {
        const { dataParty: _no, ...rest } = next;
        next = rest;
      }
    }
    if (had?.dataParty && (!next || next.connID !== had.connID)) this.callLeft(had.connID);
    if (next) {
      const body = JSON.stringify(next);
      this.calls.set(callId, next);
      if (join) this.callJoined(callId, next.connID);
      if (had && JSON.stringify(had) === body) return;
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO calls (call_id, body) VALUES (?, ?)", callId, body);
    } else if (had) {
      this.calls.delete(callId);
      this.ctx.storage.sql.exec("DELETE FROM calls WHERE call_id = ?", callId);
    }
  }

  private get inService(): boolean {
    if (this.meta.kind === "remoteTerminal") return remoteInService(this.remote, this.meta.linkUp, this.meta.switchInService);
    return this.meta.linkUp && this.meta.switchInService;
  }

  private get remote(): RemoteState {
    return this.meta.remote ?? noRemote;
  }

  // ---- configuration (called by the Site, which keeps the index of configured DNs) ----

  configure(identity: DnIdentity, config: DnConfig, linkUp: boolean, switchInService = false, kind?: SnapshotDn["kind"]): void {
    const fresh = !this.meta.identity;
    if (fresh) this.createTables();
    if (kind && !this.meta.kind) this.meta.kind = kind;
    this.meta.identity = identity;
    this.meta.config = config;
    if (fresh) {
      this.meta.linkUp = linkUp;
      this.meta.switchInService = switchInService;
    }
    this.saveMeta();
  }

  /** An object not created yet asks its Site whether its number is configured (and starts from what the Site knows). */
  private async ensureConfigured(identity: DnIdentity): Promise<boolean> {
    if (this.meta.identity) return true;
    const setup = await siteStub(this.env, identity.tenant, identity.site).dnSetup(identity.number);
    if (setup && !this.meta.identity) this.configure(setup.identity, setup.config, setup.linkUp, setup.switchInService, setup.kind);
    return !!this.meta.identity;
  }

  getConfig(): DnConfig | null {
    return this.meta.config;
  }

  /** The DN object was deleted: its sessions hear EventUnregistered and everything is forgotten. */
  async deconfigure(): Promise<void> {
    const identity = this.meta.identity;
    if (identity) {
      const time = new Date().toISOString();
      await Promise.all([...this.sessions].map((sessionId) =>
        this.deliverTo(sessionId, [{ event: "EventUnregistered", time, thisDN: identity.number, site: identity.site }])
          .then(() => sessionStub(this.env, identity.tenant, sessionId).registered(identity.site, identity.number, false))
          .catch((err) => log.warn("could not tell a session its DN was deleted", { sessionId, error: String(err) }))));
    }
    for (const p of this.pendingByCommand.values()) clearTimeout(p.timer);
    for (const list of this.pendingByAnswer.values()) for (const p of list) clearTimeout(p.timer);
    this.pendingByCommand.clear();
    this.pendingByAnswer.clear();
    this.sessions.clear();
    this.calls.clear();
    this.meta = { identity: null, config: null, switchInService: false, linkUp: false, agent: loggedOut };
    await this.ctx.storage.deleteAll();
  }

  // ---- switch facts, in stream order (called by the Site) ----

  /**
   * `stream` names the agent stream the inputs come from (their idx is their sequence number in it).
   * Inputs at or below what this Dn already applied of that stream are not applied again: the
   * deliveries they produced then are returned again (the Site resends a batch it could not finish),
   * and the Sessions skip the ones they already stored.
   */
  applySwitch(inputs: DnInput[], stream?: string, setup?: DnSetup): Delivery[] {
    if (!this.meta.identity && setup) this.configure(setup.identity, setup.config, setup.linkUp, setup.switchInService, setup.kind);
    const identity = this.meta.identity;
    if (!identity) return [];
    const metaBefore = JSON.stringify(this.meta);
    const out: Delivery[] = [];
    if (stream) {
      const applied = this.meta.applied?.[stream] ?? 0;
      const seen = inputs.filter((i) => i.idx <= applied);
      if (seen.length > 0) {
        const lo = Math.min(...seen.map((i) => i.idx));
        const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'outbox'").toArray()[0];
        for (const d of row ? (JSON.parse(row.v) as Delivery[]) : []) if (d.idx >= lo && d.idx <= applied) out.push(d);
        inputs = inputs.filter((i) => i.idx > applied);
      }
    }
    const dn = identity.number;
    const emit = (idx: number, events: TEvent[], callId?: string) => {
      for (const event of events) this.distribute(idx, event, out, callId);
    };
    for (const input of inputs) {
      const wasInService = this.inService;
      if (input.kind === "link") {
        if (input.up === this.meta.linkUp) continue;
        this.meta.linkUp = input.up;
        // the switch's word on service comes again with the snapshot that follows a link coming up
        if (!input.up) this.meta.switchInService = false;
        emit(input.idx, [{ event: input.up ? "EventLinkConnected" : "EventLinkDisconnected", time: input.time }]);
        if (!input.up) this.failPending(ErrorCode.NoSwitchLink, "the link to the switch went down before the switch answered");
      } else if (input.kind === "snapshot") {
        this.meta.switchInService = input.entry.inService;
        this.meta.kind = input.entry.kind;
        const reassert = input.entry.kind === "remoteTerminal" ? this.remoteSwitchState(input.entry.remote?.active ?? null, input.entry.remote?.mine ?? false, true) : null;
        const before = new Map([...this.calls.values()].map((c) => [c.connID, c]));
        const result = reconcile(dn, this.calls, input.entry, input.connIDs, input.time);
        // a remote observer's leg keeps its marks (role 10, GCTI-REMOTE-OBSERVE) in what a resync tells of it
        result.events = result.events.map((e) => {
          const call = [...result.calls.values()].find((c) => c.connID === e.connID) ?? before.get(e.connID ?? "");
          return call ? withObserverMarks(e, call) : e;
        });
        this.replaceCalls(result.calls, new Set(input.dataConnIDs ?? []));
        emit(input.idx, this.serviceChange(wasInService, input.time));
        // clients hear "out of service" first (seed HA: out of service, then back with the remote extensions)
        if (reassert) this.ctx.waitUntil(reassert());
        emit(input.idx, result.events);
        continue;
      } else {
        const ev = input.ev;
        if (ev.kind === "service") {
          if (ev.inService && !this.meta.switchInService && this.meta.kind === "remoteTerminal" && this.remote.owner) this.ctx.waitUntil(this.reextendLater().catch((err: unknown) => log.warn("could not extend a remote terminal again", { dn, error: String(err) })));
          this.meta.switchInService = ev.inService;
        } else if (ev.kind === "remoteDestination") {
          void this.remoteSwitchState(ev.active, ev.mine, false);
        } else if (ev.kind === "result") {
          if (this.remoteResult(input.idx, ev, out) || this.monitorResult(input.idx, ev, out)) continue;
          this.completeCommand(input.idx, ev, out);
          continue;
        } else if (ev.kind === "partyChanged") {
          const previous = ev.previousCallId ?? ev.callId;
          const change = applyPartyChanged(dn, this.calls.get(previous), ev, input.connID ?? "", input.previousConnID);
          if (previous !== ev.callId) this.saveCall(previous, undefined);
          this.saveCall(ev.callId, change.call, !!input.callData);
          emit(input.idx, change.events, ev.callId);
          continue;
        } else if (ev.kind === "observer" || (ev.kind === "partyAdded" && ev.observer)) {
          // F2: an observer on this (agent's) call; a partyAdded with `observer` is the same fact said the old way
          const fact: Extract<DnSwitchEvent, { kind: "observer" }> = ev.kind === "observer" ? ev : { kind: "observer", time: ev.time, dn: ev.dn, callId: ev.callId, otherDN: ev.otherDN, addressType: "internal", change: "added" };
          const change = applyObserver(dn, this.calls.get(ev.callId), fact);
          this.saveCall(ev.callId, change.call);
          emit(input.idx, change.events, ev.callId);
          continue;
        } else if (ev.kind === "monitorStarted") {
          // F2: this DN's monitor call began; its events carry the monitored call's connID
          const handOff = this.meta.handOff?.agentDN === ev.otherDN ? this.meta.handOff : undefined;
          this.meta.handOff = undefined;
          if (this.meta.monitoring === ev.otherDN) this.meta.monitoring = undefined;
          const change = monitorStarted(dn, ev, input.connID ?? "", handOff, Date.now());
          this.saveCall(ev.callId, change.call);
          this.armCtiPortRelease();
          emit(input.idx, change.events, ev.callId);
          continue;
        } else {
          let fact = ev;
          const consultOf = ev.kind === "dialing" ? this.consults.get(ev.callId) : undefined;
          if (consultOf && fact.kind === "dialing") fact = { ...fact, callType: 4 };
          if (fact.kind === "dialing" && !fact.otherDN && this.meta.kind === "remoteTerminal") {
            // the mobile rings before the far end is dialed: the request knows the number (better than the seed's delay-dialing limitation)
            const asked = this.pendingByAnswer.get(`EventDialing:${ev.callId}`)?.find((p) => p.otherDN)?.otherDN;
            if (asked) fact = { ...fact, otherDN: asked };
          }
          const current = this.calls.get(ev.callId);
          let change = applyCallFact(dn, current, fact, input.connID ?? "");
          if (!current && (ev.kind === "ringing" || ev.kind === "established")) change = this.matchRemoteObserver(change, ev.otherDN, input.connID ?? "");
          if (change.call?.remoteObserve || current?.remoteObserve) change = { ...change, events: change.events.map((e) => withObserverMarks(e, change.call ?? current!)) };
          if (ev.kind === "released" && this.meta.transfers?.[ev.callId]) {
            const destination = this.meta.transfers[ev.callId]!;
            delete this.meta.transfers[ev.callId];
            change = { ...change, events: change.events.map((e) => transferredAway(e, destination)) };
          }
          if (change.call?.phase === "established" && !change.call.establishedAt && this.meta.config?.switchSpecificType === SwitchSpecificType.CtiPort) change = { ...change, call: { ...change.call, establishedAt: Date.now() } };
          this.saveCall(ev.callId, change.call, !!input.callData);
          if (change.call?.establishedAt && !current?.establishedAt) this.armCtiPortRelease();
          if (this.meta.monitorNext && change.call?.callType !== CallType.Consult && change.events.some((e) => e.event === "EventEstablished")) this.startMonitoring(ev.callId);
          if (consultOf) {
            this.consults.delete(ev.callId);
            for (const e of change.events) e.transferConnID = consultOf;
          }
          emit(input.idx, change.events, ev.callId);
          continue;
        }
      }
      emit(input.idx, this.serviceChange(wasInService, input.kind === "link" ? input.time : input.ev.time));
    }
    if (stream && inputs.length > 0) {
      // remembered with the state it produced, in one write: a resend finds both or neither
      const applied: Record<string, number> = { ...this.meta.applied };
      delete applied[stream];
      applied[stream] = Math.max(...inputs.map((i) => i.idx));
      const keep = Object.keys(applied).slice(-STREAMS_REMEMBERED);
      this.meta.applied = Object.fromEntries(keep.map((k) => [k, applied[k]!]));
      // the last batch's deliveries, one row (a statement per delivery cost O(events x sessions))
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('outbox', ?)", JSON.stringify(out));
    }
    if (JSON.stringify(this.meta) !== metaBefore) this.saveMeta();
    return out;
  }

  private replaceCalls(next: Map<string, DnCall>, withData: Set<string>): void {
    for (const callId of [...this.calls.keys()]) if (!next.has(callId)) this.saveCall(callId, undefined);
    for (const [callId, call] of next) this.saveCall(callId, call, withData.has(call.connID));
  }

  // ---- the call's user data, owned by its Call object ----

  /** This DN became a party of a call: tell the call's owner, and keep a copy of its data for events. */
  private callJoined(callId: string, connID: string): void {
    const { tenant, site, number } = this.meta.identity!;
    this.ctx.waitUntil(callStub(this.env, tenant, site, connID).joined({ tenant, site, connID }, number).then((data) => {
      const call = this.calls.get(callId);
      if (call && Object.keys(data).length > 0) this.saveCall(callId, { ...call, userData: data });
    }).catch((err: unknown) => log.warn("could not join the call's data", { dn: number, connID, error: String(err) })));
  }

  private callLeft(connID: string): void {
    const { tenant, site, number } = this.meta.identity!;
    this.ctx.waitUntil(callStub(this.env, tenant, site, connID).left(number)
      .catch((err: unknown) => log.warn("could not leave the call's data", { dn: number, connID, error: String(err) })));
  }

  /** Another party changed the call's user data: every session here hears of it. False: the call is not (any more) here. */
  async userDataChanged(connID: string, userData: UserData, byDn: string): Promise<boolean> {
    const identity = this.meta.identity;
    const entry = [...this.calls.entries()].find(([, c]) => c.connID === connID);
    if (!identity || !entry) return false;
    const [callId, call] = entry;
    this.saveCall(callId, { ...call, userData, dataParty: true });
    await this.deliverToAll({
      event: "EventAttachedDataChanged", site: identity.site, time: new Date().toISOString(),
      thisDN: identity.number, connID, thirdPartyDN: byDn, ...(call.otherDN ? { otherDN: call.otherDN } : {}), userData,
    });
    return true;
  }

  private serviceChange(wasInService: boolean, time: string): TEvent[] {
    if (this.meta.kind === "remoteTerminal") return this.remoteAnnouncement(time);
    if (wasInService === this.inService) return [];
    return [{ event: this.inService ? "EventDNBackInService" : "EventDNOutOfService", time, thisDN: this.meta.identity!.number }];
  }

  /** Hands an event to every registered session; the requester's copy of an answering event gets its referenceID. */
  private distribute(idx: number, event: TEvent, out: Delivery[], callId?: string): void {
    const site = this.meta.identity!.site;
    // every request waiting for this event is answered by it (two RequestHoldCall of one call, say)
    const waiting = callId ? this.pendingByAnswer.get(`${event.event}:${callId}`) ?? [] : [];
    if (waiting.length > 0) this.pendingByAnswer.delete(`${event.event}:${callId}`);
    for (const sessionId of this.sessions) {
      const copy: TEvent = { ...event, site };
      const mine = waiting.find((p) => p.sessionId === sessionId);
      if (mine) copy.referenceID = mine.referenceID;
      out.push({ idx, sessionId, event: copy });
    }
    for (const p of waiting) p.resolve({ status: 200, referenceID: p.referenceID, event: { ...event, site, referenceID: p.referenceID } });
  }

  private completeCommand(idx: number, ev: Extract<DnInput, { kind: "switch" }>["ev"] & { kind: "result" }, out: Delivery[]): void {
    const pending = this.pendingByCommand.get(ev.commandId);
    if (!pending) return; // timed out already, or a result for another run of this object
    this.pendingByCommand.delete(ev.commandId);
    if (!ev.ok) {
      clearTimeout(pending.timer);
      const event = { ...errorEvent(ev.errorCode ?? ErrorCode.Unknown, ev.errorMessage ?? "the switch refused the request", this.meta.identity!.number), site: this.meta.identity!.site, referenceID: pending.referenceID, time: ev.time };
      out.push({ idx, sessionId: pending.sessionId, event });
      pending.resolve({ status: 422, referenceID: pending.referenceID, event });
      if (pending.route && (ev.errorCode === ErrorCode.TargetDNInvalid || ev.errorCode === ErrorCode.InvalidDestinationDN)) {
        const { destination, action } = pending.route;
        const identity = this.meta.identity!;
        // the agent at the unavailable destination stops being routable (feature F1)
        this.ctx.waitUntil(dnStub(this.env, identity.tenant, identity.site, destination).invalidDestination(action, { tenant: identity.tenant, site: identity.site, number: destination })
          .catch((err) => log.warn("could not apply route-invalid-dest-action", { dn: destination, error: String(err) })));
      }
      return;
    }
    if (pending.consultFor) {
      pending.callId = ev.callId;
      if (ev.callId) this.consults.set(ev.callId, pending.consultFor);
    }
    pending.callId = pending.callId ?? ev.callId;
    if (!pending.callId) {
      clearTimeout(pending.timer);
      const event = { ...errorEvent(ErrorCode.InternalError, "the switch accepted the request without naming the call", this.meta.identity!.number), site: this.meta.identity!.site, referenceID: pending.referenceID, time: ev.time };
      out.push({ idx, sessionId: pending.sessionId, event });
      pending.resolve({ status: 422, referenceID: pending.referenceID, event });
      return;
    }
    const key = `${pending.expect}:${pending.callId}`;
    this.pendingByAnswer.set(key, [...(this.pendingByAnswer.get(key) ?? []), pending]);
  }

  private failPending(code: number, message: string): void {
    const identity = this.meta.identity!;
    const all = new Set([...this.pendingByCommand.values(), ...[...this.pendingByAnswer.values()].flat()]);
    this.pendingByCommand.clear();
    this.pendingByAnswer.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      const event = { ...errorEvent(code, message, identity.number), site: identity.site, referenceID: p.referenceID };
      void this.deliverTo(p.sessionId, [event]).catch((err: unknown) => log.warn("could not deliver an EventError", { sessionId: p.sessionId, error: String(err) }));
      p.resolve({ status: 422, referenceID: p.referenceID, event });
    }
  }

  /** The Site's active link agent went (or was replaced): commands without a result died with it. */
  commandsLost(reason: string): void {
    const identity = this.meta.identity;
    if (!identity) return;
    const lost = [...this.pendingByCommand.values()];
    this.pendingByCommand.clear();
    for (const p of lost) {
      const event = { ...errorEvent(ErrorCode.NoSwitchLink, reason, identity.number), site: identity.site, referenceID: p.referenceID, time: new Date().toISOString() };
      void this.deliverTo(p.sessionId, [event]).catch((err: unknown) => log.warn("could not deliver an EventError", { sessionId: p.sessionId, error: String(err) }));
      p.resolve({ status: 422, referenceID: p.referenceID, event });
    }
  }

  // ---- silent monitoring (MonitorNextCall, one call) and remote observers: feature F2 (dn/monitor.ts) ----

  /** Arms monitoring of this DN's next call for `by`; refused when another DN already waits for it. Its own clients hear of it too (PSDK). */
  async armMonitor(by: string, notify: string[] = [], target?: DnIdentity): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
    if (target) await this.ensureConfigured(target);
    if (!this.meta.identity || !this.meta.config) return { ok: false, code: ErrorCode.DNNotConfigured, message: "the DN to monitor is not configured" };
    if (this.meta.monitorNext && this.meta.monitorNext !== by) return { ok: false, code: ErrorCode.ResourceSeized, message: `DN ${this.meta.identity.number}'s next call is already monitored by ${this.meta.monitorNext}` };
    this.meta.monitorNext = by;
    this.saveMeta();
    await this.deliverToOthers(notify, { event: "EventMonitoringNextCall", site: this.meta.identity.site, time: new Date().toISOString(), thisDN: by, otherDN: this.meta.identity.number, monitorNextCallType: 0 });
    return { ok: true };
  }

  async cancelMonitor(by: string, notify: string[] = [], extensions?: Record<string, string | number>): Promise<boolean> {
    if (!this.meta.identity || this.meta.monitorNext !== by) return false;
    this.meta.monitorNext = undefined;
    this.saveMeta();
    await this.deliverToOthers(notify, { event: "EventMonitoringCancelled", site: this.meta.identity.site, time: new Date().toISOString(), thisDN: by, otherDN: this.meta.identity.number, ...(extensions ? { extensions } : {}) });
    return true;
  }

  /** On the monitoring DN: the agent's call its coming monitor call listens to (sent by the agent's Dn before startMonitor). */
  monitorHandOff(handOff: MonitorHandOff): void {
    if (!this.meta.identity) return;
    this.meta.handOff = handOff;
    this.saveMeta();
  }

  /** On the monitoring DN: the switch refused to start the monitor call; its clients hear why. Returns the sessions told. */
  async monitorFailed(agentDN: string, errorCode: number, errorMessage: string): Promise<string[]> {
    const identity = this.meta.identity;
    if (!identity) return [];
    if (this.meta.monitoring === agentDN) this.meta.monitoring = undefined;
    this.meta.handOff = undefined;
    this.saveMeta();
    await this.deliverToAll({ event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: identity.number, otherDN: agentDN, extensions: { ErrorCode: errorCode, ErrorMessage: errorMessage } });
    return [...this.sessions];
  }

  /** On the monitoring DN: the agent it waited for logged out, which cancelled the monitoring. Returns the sessions told. */
  async monitorDisarmed(agentDN: string): Promise<string[]> {
    const identity = this.meta.identity;
    if (!identity) return [];
    if (this.meta.monitoring === agentDN) this.meta.monitoring = undefined;
    this.saveMeta();
    await this.deliverToAll({ event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: identity.number, otherDN: agentDN });
    return [...this.sessions];
  }

  /**
   * PSDK TMonitorNextCall: "The monitoring is automatically canceled when either the supervisor or the agent
   * logs out." An armed request ends (both DNs' clients get EventMonitoringCancelled); a monitor call already
   * started is not torn down: it was the one call asked for.
   */
  private async cancelMonitoringOnLogout(): Promise<void> {
    const identity = this.meta.identity!;
    const by = this.meta.monitorNext;
    if (by) {
      this.meta.monitorNext = undefined;
      this.saveMeta();
      const told = await dnStub(this.env, identity.tenant, identity.site, by).monitorDisarmed(identity.number);
      await this.deliverToOthers(told, { event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: by, otherDN: identity.number });
    }
    const agent = this.meta.monitoring;
    if (agent) {
      this.meta.monitoring = undefined;
      this.saveMeta();
      const here = [...this.sessions];
      if (await dnStub(this.env, identity.tenant, identity.site, agent).cancelMonitor(identity.number, here)) {
        await this.deliverToAll({ event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: identity.number, otherDN: agent });
      }
    }
  }

  /** Sessions of this DN not in `skip` (they heard it from the other DN already). */
  private async deliverToOthers(skip: string[], event: TEvent): Promise<void> {
    await Promise.all([...this.sessions].filter((s) => !skip.includes(s)).map((s) => this.deliverTo(s, [event]).catch((err) => log.warn("could not deliver to a session", { sessionId: s, error: String(err) }))));
  }

  /** The next call is established: the monitoring DN starts listening (MonitorOneCall: this call only). */
  private startMonitoring(callId: string): void {
    const identity = this.meta.identity!;
    const by = this.meta.monitorNext!;
    const call = this.calls.get(callId)!;
    this.meta.monitorNext = undefined;
    const commandId = crypto.randomUUID();
    this.meta.monitorCommands = { ...this.meta.monitorCommands, [commandId]: by };
    const handOff: MonitorHandOff = { agentDN: identity.number, monitoredCallId: callId, connID: call.connID, callType: call.callType, ...(call.userData ? { userData: call.userData } : {}) };
    this.ctx.waitUntil((async () => {
      // the monitoring DN learns the monitored call before the switch's events of the monitor call can reach it
      await dnStub(this.env, identity.tenant, identity.site, by).monitorHandOff(handOff);
      const sent = await siteStub(this.env, identity.tenant, identity.site)
        .sendCommand({ t: "command", id: commandId, op: "startMonitor", dn: identity.number, callId, otherDN: by, monitorType: 1 });
      if (!sent.ok) await this.monitorNotStarted(commandId, sent.errorCode, sent.errorMessage);
    })().catch((err: unknown) => log.warn("could not start monitoring", { dn: identity.number, by, error: String(err) })));
  }

  /** A startMonitor the switch refused (or that could not be sent): both DNs' clients get EventMonitoringCancelled with the error. */
  private async monitorNotStarted(commandId: string, errorCode: number, errorMessage: string): Promise<void> {
    const identity = this.meta.identity!;
    const by = this.meta.monitorCommands?.[commandId];
    if (!by) return;
    delete this.meta.monitorCommands![commandId];
    this.saveMeta();
    const monitor = dnStub(this.env, identity.tenant, identity.site, by);
    // a session registered on both DNs hears it once, as it hears EventMonitoringNextCall (PSDK: one event to the clients of both)
    const told = await monitor.monitorFailed(identity.number, errorCode, errorMessage);
    await this.deliverToOthers(told, { event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: by, otherDN: identity.number, extensions: { ErrorCode: errorCode, ErrorMessage: errorMessage } });
  }

  private monitorResult(idx: number, ev: Extract<DnSwitchEvent, { kind: "result" }>, _out: Delivery[]): boolean {
    if (!this.meta.monitorCommands?.[ev.commandId]) return false;
    if (ev.ok) delete this.meta.monitorCommands[ev.commandId];
    else this.ctx.waitUntil(this.monitorNotStarted(ev.commandId, ev.errorCode ?? ErrorCode.Unknown, ev.errorMessage ?? "the switch refused to start monitoring")
      .catch((err: unknown) => log.warn("could not report a refused startMonitor", { idx, error: String(err) })));
    return true;
  }

  /** On a destination DN: a monitor call will arrive here for a remote observer (an ISCC-like transaction of the CTI port's Dn). */
  async expectRemoteObserver(expectation: RemoteObserverExpectation, target?: DnIdentity): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
    // an idle DN has no object yet (issue 13): it starts from what its Site knows
    if (target) await this.ensureConfigured(target);
    const identity = this.meta.identity;
    if (!identity || !this.meta.config) return { ok: false, code: expectation.requester ? ErrorCode.BadDestinationDN : ErrorCode.DNNotConfigured, message: target ? `DN ${target.number} is not configured at location ${target.site}` : "the destination DN is not configured at that location" };
    const now = Date.now();
    const pending = (this.meta.expectations ?? []).filter((e) => e.expiresAt > now);
    const refusal = checkExpectation(identity.number, identity.site, this.meta.linkUp, this.inService, pending, now);
    if (refusal) return { ok: false, ...refusal };
    this.meta.expectations = [...pending, expectation];
    this.saveMeta();
    this.ctx.waitUntil(this.armAlarm());
    return { ok: true };
  }

  withdrawRemoteObserver(id: string): void {
    if (!this.meta.identity || !this.meta.expectations) return;
    this.meta.expectations = this.meta.expectations.filter((e) => e.id !== id);
    this.saveMeta();
  }

  /** A new call at this DN: the remote observer it waits for? Then it is the observer's leg (role 10), and the requester hears of it. */
  private matchRemoteObserver(change: ReturnType<typeof applyCallFact>, calling: string | undefined, connID: string): ReturnType<typeof applyCallFact> {
    const now = Date.now();
    const expectation = matchExpectation(this.meta.expectations ?? [], calling, now);
    if (!expectation || !change.call) return change;
    this.meta.expectations = (this.meta.expectations ?? []).filter((e) => e.id !== expectation.id && e.expiresAt > now);
    const identity = this.meta.identity!;
    const matched = asRemoteObserver(change, expectation);
    this.ctx.waitUntil((async () => {
      // ISCC passes the call's user data on: the arriving call gets the monitored call's
      if (expectation.userData && Object.keys(expectation.userData).length > 0) {
        await callStub(this.env, identity.tenant, identity.site, connID).change({ tenant: identity.tenant, site: identity.site, connID }, "update", expectation.userData, identity.number);
      }
      if (expectation.requester) {
        await this.deliverTo(expectation.requester.sessionId, [{ event: "EventRemoteConnectionSuccess", site: expectation.originSite, time: new Date().toISOString(), thisDN: expectation.originDN, otherDN: identity.number, location: identity.site }]);
      }
    })().catch((err: unknown) => log.warn("could not complete a remote observation", { dn: identity.number, error: String(err) })));
    return matched;
  }

  /** Single-step transfer of a CTI port's monitor call (B.1 (3) step 3): checks, and the destination's expectation recorded first. */
  private async prepareMonitorTransfer(req: DnRequest, call: DnCall): Promise<Refusal | { withdraw?: () => Promise<void> }> {
    const identity = this.meta.identity!;
    const flag = remoteObserveFlag(req.extensions);
    if (typeof flag !== "boolean") return flag;
    const location = req.location && req.location !== identity.site ? req.location : null;
    if (location && !(await tenantStub(this.env, identity.tenant).hasSite(location))) return { code: ErrorCode.BadLocation, message: `location ${location} is not a site of this tenant` };
    if (!flag) return {};
    const source = checkRemoteObserveSource(identity.number, this.meta.config!, call);
    if (source) return source;
    const site = location ?? identity.site;
    const timeout = Number(await siteStub(this.env, identity.tenant, site).option("TServer", "remote-observe-timeout"));
    const expectation: RemoteObserverExpectation = {
      id: crypto.randomUUID(), originSite: identity.site, originDN: identity.number, originConnID: call.connID, monitoredDN: call.monitorOf!,
      ani: call.monitorOf!, ...(call.userData ? { userData: call.userData } : {}),
      ...(location ? { requester: { sessionId: req.sessionId, location } } : {}), expiresAt: Date.now() + timeout * 1000,
    };
    const destination = dnStub(this.env, identity.tenant, site, req.otherDN!);
    const recorded = await destination.expectRemoteObserver(expectation, { tenant: identity.tenant, site, number: req.otherDN! });
    if (!recorded.ok) {
      // a local destination that is not configured here is an ordinary transfer target: nobody to tell
      if (!location && recorded.code === ErrorCode.DNNotConfigured) return {};
      return { code: recorded.code, message: recorded.message };
    }
    return { withdraw: () => destination.withdrawRemoteObserver(expectation.id) };
  }

  // ---- timers: the CTI port release (cti-port-release-timeout) and remote-observe windows ----

  /** Sets when this CTI port's established calls are to be released, from the option as it is now. */
  private armCtiPortRelease(): void {
    const identity = this.meta.identity!;
    this.ctx.waitUntil((async () => {
      const seconds = Number(await siteStub(this.env, identity.tenant, identity.site).option("TServer", "cti-port-release-timeout"));
      let changed = false;
      for (const [callId, call] of this.calls) {
        if (!call.establishedAt || call.releaseAt !== undefined) continue;
        this.saveCall(callId, { ...call, releaseAt: seconds === 0 ? 0 : call.establishedAt + seconds * 1000 });
        changed = true;
      }
      if (changed) await this.armAlarm();
    })().catch((err: unknown) => log.warn("could not arm the CTI port release", { dn: identity.number, error: String(err) })));
  }

  private async armAlarm(): Promise<void> {
    const deadlines = [
      ...[...this.calls.values()].map((c) => c.releaseAt ?? 0).filter((t) => t > 0),
      ...(this.meta.expectations ?? []).map((e) => e.expiresAt),
    ];
    if (deadlines.length === 0) return;
    const next = Math.min(...deadlines);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  override async alarm(): Promise<void> {
    const identity = this.meta.identity;
    if (!identity) return;
    const now = Date.now();
    for (const [callId, call] of [...this.calls]) {
      if (!call.releaseAt || call.releaseAt > now) continue;
      this.saveCall(callId, { ...call, releaseAt: 0 });
      log.info("releasing a call left at a CTI port", { site: identity.site, dn: identity.number, connID: call.connID });
      const sent = await siteStub(this.env, identity.tenant, identity.site).sendCommand({ t: "command", id: crypto.randomUUID(), op: "release", dn: identity.number, callId });
      if (!sent.ok) log.warn("could not release a call left at a CTI port", { dn: identity.number, error: sent.errorMessage });
    }
    const expired = (this.meta.expectations ?? []).filter((e) => e.expiresAt <= now);
    if (expired.length > 0) {
      this.meta.expectations = (this.meta.expectations ?? []).filter((e) => e.expiresAt > now);
      this.saveMeta();
      for (const e of expired) {
        if (!e.requester) continue;
        await this.deliverTo(e.requester.sessionId, [{
          event: "EventRemoteConnectionFailed", site: e.originSite, time: new Date().toISOString(), thisDN: e.originDN, otherDN: identity.number, location: identity.site,
          errorCode: ErrorCode.TransactionTimeExpired, errorMessage: `the monitor call did not arrive at ${identity.number} on ${identity.site} within remote-observe-timeout`,
        }]).catch((err: unknown) => log.warn("could not deliver EventRemoteConnectionFailed", { error: String(err) }));
      }
    }
    await this.armAlarm();
  }

  // ---- extend and connect on a remote terminal: feature F3 (dn/remote.ts) ----

  /** What the switch says about the remote terminal (a fact, or a snapshot). A snapshot may set it right (re-extend, or drop an orphan). */
  private remoteSwitchState(active: RemoteState["active"], mine: boolean, fromSnapshot: boolean): (() => Promise<void>) | null {
    const r: RemoteState = { ...this.remote, active, mine };
    if (r.settling && extendedAsAsked(r)) {
      r.settling = null;
      this.announceForced = true;
    }
    this.meta.remote = r;
    if (!fromSnapshot || !this.meta.linkUp) return null;
    // after a switchover or a link recovery the new provider did not set it: extend it again (HA, B.2 (3) i)
    if (r.owner && !extendedAsAsked(r) && !r.settling) return () => this.sendRemoteDestination(true);
    // extended by us with nobody owning it (storage reset): calls must not ring a mobile nobody controls
    if (!r.owner && mine && active) return () => this.sendRemoteDestination(false, active.number, active.name);
    return null;
  }

  private announceForced = false;

  private remoteAnnouncement(time: string): TEvent[] {
    const force = this.announceForced;
    this.announceForced = false;
    const a = serviceAnnouncement(this.remote, this.inService, force);
    if (!a) return [];
    this.meta.remote = { ...this.remote, announced: a.announced };
    return [{ event: a.event, time, thisDN: this.meta.identity!.number, ...(a.extensions ? { extensions: a.extensions } : {}) }];
  }

  /** Sends setRemoteDestination (activate the owner's destination, or deactivate one); an activation settles on the switch's word. */
  private async sendRemoteDestination(active: boolean, number?: string, name?: string): Promise<void> {
    const identity = this.meta.identity!;
    const r = this.remote;
    const commandId = crypto.randomUUID();
    if (active) {
      this.meta.remote = { ...r, settling: commandId };
      this.saveMeta();
    }
    const site = siteStub(this.env, identity.tenant, identity.site);
    const sent = await site.sendCommand({ t: "command", id: commandId, op: "setRemoteDestination", dn: identity.number, otherDN: number ?? r.dest, name: name ?? r.name, active });
    if (!active) {
      if (!sent.ok) log.warn("could not deactivate a remote destination", { dn: identity.number, error: sent.errorMessage });
      return;
    }
    if (!sent.ok) return this.remoteActivationFailed(commandId, sent.errorCode, sent.errorMessage, false);
    setTimeout(() => {
      if (this.remote.settling !== commandId) return;
      void this.remoteActivationFailed(commandId, ErrorCode.Timeout, `the switch did not confirm the remote destination within ${sent.timeoutMs / 1000} s`, false)
        .catch((err: unknown) => log.warn("could not report a remote destination timeout", { error: String(err) }));
    }, sent.timeoutMs);
  }

  /** The activation failed: every client of the DN gets EventHardwareError with the remote extensions; a refusal by the switch clears the owner. */
  private async remoteActivationFailed(commandId: string, errorCode: number, errorMessage: string, refused: boolean): Promise<void> {
    const identity = this.meta.identity!;
    const r = this.remote;
    if (r.settling !== commandId && r.settling !== null) return;
    this.meta.remote = { ...r, settling: null, ...(refused ? { owner: null } : {}) };
    const time = new Date().toISOString();
    const events: TEvent[] = [{ event: "EventHardwareError", site: identity.site, time, thisDN: identity.number, errorCode, errorMessage, extensions: remoteExtensions(r.dest, r.name) }];
    for (const e of this.remoteAnnouncement(time)) events.push({ ...e, site: identity.site });
    this.saveMeta();
    await Promise.all([...this.sessions].map((s) => this.deliverTo(s, events).catch((err) => log.warn("could not deliver to a session", { sessionId: s, error: String(err) }))));
    // refused with the terminal still extended by us to an earlier destination: nobody owns that any more
    if (refused && r.mine && r.active && this.meta.linkUp) await this.sendRemoteDestination(false, r.active.number, r.active.name);
  }

  private remoteResult(idx: number, ev: Extract<DnSwitchEvent, { kind: "result" }>, out: Delivery[]): boolean {
    const r = this.remote;
    if (!r.settling || r.settling !== ev.commandId) return false;
    if (!ev.ok) {
      this.ctx.waitUntil(this.remoteActivationFailed(ev.commandId, ev.errorCode ?? ErrorCode.InternalError, ev.errorMessage ?? "the switch refused the remote destination", true)
        .catch((err: unknown) => log.warn("could not report a refused remote destination", { idx, error: String(err) })));
      return true;
    }
    if (extendedAsAsked(r)) {
      // the switch was already as asked (no change event will come): the activation is answered now
      this.meta.remote = { ...r, settling: null };
      this.announceForced = true;
      for (const event of this.remoteAnnouncement(ev.time)) this.distribute(idx, event, out);
    }
    return true;
  }

  /**
   * JTAPI says the remote terminal is back in service (B.2 (3) h): after a CTIManager restart JTAPI sets the
   * destination again by itself (JDG p.923); still cleared after request-timeout, the Dn sets it. One that
   * another application set is left alone (B.2 (5): no fighting back).
   */
  private async reextendLater(): Promise<void> {
    const identity = this.meta.identity!;
    const seconds = Number(await siteStub(this.env, identity.tenant, identity.site).option("TServer", "request-timeout")) || 10;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const r = this.remote;
    if (r.owner && !r.settling && r.active === null && this.meta.linkUp && this.meta.switchInService) await this.sendRemoteDestination(true);
  }

  /** RequestRegisterAddress with REMOTE_DEST: this session owns the terminal now (the last one decides, seed). */
  private async activateRemote(sessionId: string, dest: string, name: string): Promise<void> {
    const identity = this.meta.identity!;
    this.meta.remote = { ...this.remote, owner: sessionId, dest, name, settling: null };
    this.saveMeta();
    if (!this.meta.linkUp) {
      // the wish is kept and applied when the link comes back (its snapshot re-extends)
      await this.deliverToAll({ event: "EventHardwareError", site: identity.site, time: new Date().toISOString(), thisDN: identity.number, errorCode: ErrorCode.NoSwitchLink, errorMessage: `no link to the switch of site ${identity.site}: the remote destination is set when it comes back`, extensions: remoteExtensions(dest, name) });
      return;
    }
    await this.sendRemoteDestination(true);
  }

  /** The owner unregistered or its session ended: deactivate, and the remaining clients hear EventDNOutOfService. */
  private async ownerLeft(sessionId: string): Promise<void> {
    const r = this.remote;
    if (r.owner !== sessionId) return;
    const identity = this.meta.identity!;
    this.meta.remote = { ...r, owner: null, settling: null };
    const events = this.remoteAnnouncement(new Date().toISOString()).map((e) => ({ ...e, site: identity.site }));
    this.saveMeta();
    for (const e of events) await this.deliverToAll(e);
    if (this.meta.linkUp && r.mine && r.active?.number === r.dest) await this.sendRemoteDestination(false, r.dest, r.name);
  }

  // ---- emulated agent state ----

  /** A call routed here failed as an invalid destination: apply route-invalid-dest-action (F1). */
  async invalidDestination(requestAction: InvalidDestAction | null, target?: DnIdentity): Promise<void> {
    if (target) await this.ensureConfigured(target);
    const identity = this.meta.identity;
    if (!identity || !this.meta.config) return;
    const action = requestAction
      ?? parseInvalidDestAction(this.meta.config.annex?.TServer?.["route-invalid-dest-action"])
      ?? parseInvalidDestAction(await siteStub(this.env, identity.tenant, identity.site).option("TServer", "route-invalid-dest-action"))
      ?? "none";
    const change = applyInvalidDestAction(identity.number, this.meta.agent, action);
    log.info("route to an invalid destination", { site: identity.site, dn: identity.number, action, applied: !!change });
    if (!change) return;
    const loggedOutNow = this.meta.agent.status !== "LoggedOut" && change.state.status === "LoggedOut";
    this.meta.agent = change.state;
    this.saveMeta();
    await this.deliverToAll({ ...change.event, site: identity.site, time: new Date().toISOString() });
    if (loggedOutNow) await this.cancelMonitoringOnLogout();
  }

  private async deliverToAll(event: TEvent): Promise<void> {
    await Promise.all([...this.sessions].map((s) => this.deliverTo(s, [event]).catch((err) => log.warn("could not deliver to a session", { sessionId: s, error: String(err) }))));
  }

  // ---- client sessions ----

  async sessionEnded(sessionId: string): Promise<void> {
    if (!this.meta.identity || !this.sessions.delete(sessionId)) return;
    this.ctx.storage.sql.exec("DELETE FROM registrations WHERE session_id = ?", sessionId);
    // the owner of an extended remote terminal leaves after client-disconnect-grace, not at once as over TCP
    await this.ownerLeft(sessionId);
  }

  /** Request-path events go through the Site, behind the switch events it is delivering (never ahead of them). */
  private async deliverTo(sessionId: string, events: TEvent[]): Promise<void> {
    const identity = this.meta.identity;
    if (!identity) return;
    await siteStub(this.env, identity.tenant, identity.site).relay(sessionId, events);
  }

  // ---- requests ----

  async request(req: DnRequest): Promise<RequestOutcome> {
    const dn = req.thisDN!;
    const fail = async (code: number, message: string): Promise<RequestOutcome> => {
      const event: TEvent = { ...errorEvent(code, message, dn), site: req.site, referenceID: req.referenceID, time: new Date().toISOString() };
      await this.deliverTo(req.sessionId, [event]).catch(() => undefined);
      return { status: 422, referenceID: req.referenceID, event };
    };
    const answer = async (event: TEvent, toAll = false): Promise<RequestOutcome> => {
      const stamped: TEvent = { ...event, site: req.site, time: new Date().toISOString() };
      const mine: TEvent = { ...stamped, referenceID: req.referenceID };
      await this.deliverTo(req.sessionId, [mine]);
      if (toAll) await Promise.all([...this.sessions].filter((s) => s !== req.sessionId).map((s) => this.deliverTo(s, [stamped]).catch(() => undefined)));
      return { status: 200, referenceID: req.referenceID, event: mine };
    };
    if (!this.meta.identity) await this.ensureConfigured({ tenant: req.tenant, site: req.site, number: dn });
    const identity = this.meta.identity;
    if (!identity || !this.meta.config) return fail(ErrorCode.DNNotConfigured, `DN ${dn} is not configured on site ${req.site}`);

    switch (req.request) {
      case "RequestRegisterAddress": {
        // F3: REMOTE_DEST / REMOTE_NAME extend a remote terminal to a remote destination (seed "Extend and connect")
        const activation = parseActivation(req.extensions);
        if (activation && "code" in activation) return fail(activation.code, activation.message);
        if (activation && this.meta.kind && this.meta.kind !== "remoteTerminal") {
          return fail(ErrorCode.InvalidAttribute, `DN ${dn} is not a remote terminal (the switch has a ${this.meta.kind} there): REMOTE_DEST is for CiscoRemoteTerminal addresses`);
        }
        if (!this.sessions.has(req.sessionId)) {
          this.sessions.add(req.sessionId);
          this.ctx.storage.sql.exec("INSERT OR REPLACE INTO registrations (session_id, registered) VALUES (?, ?)", req.sessionId, new Date().toISOString());
          await sessionStub(this.env, identity.tenant, req.sessionId).registered(identity.site, dn, true);
        }
        const registered = await answer({ event: "EventRegistered", thisDN: dn });
        if (activation) await this.activateRemote(req.sessionId, activation.dest, activation.name);
        return registered;
      }
      case "RequestUnregisterAddress": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session`);
        this.sessions.delete(req.sessionId);
        this.ctx.storage.sql.exec("DELETE FROM registrations WHERE session_id = ?", req.sessionId);
        await sessionStub(this.env, identity.tenant, req.sessionId).registered(identity.site, dn, false);
        const unregistered = await answer({ event: "EventUnregistered", thisDN: dn });
        await this.ownerLeft(req.sessionId);
        return unregistered;
      }
      case "RequestQueryAddress":
        return answer({
          event: "EventAddressInfo",
          thisDN: dn,
          addressType: this.meta.config.type === "RoutingPoint" ? 4 : 1,
          addressStatus: addressStatus(this.inService, this.calls.values()),
          inService: this.inService,
          calls: [...this.calls.values()].map((c) => ({ connID: c.connID, state: c.phase, otherDN: c.otherDN ?? null, thisDNRole: c.thisRole, callType: c.callType })),
          ...(this.meta.agent.agentID ? { agentID: this.meta.agent.agentID } : {}),
          agentState: this.meta.agent.status,
          agentWorkMode: this.meta.agent.workMode,
          dnd: this.meta.agent.dnd,
        });
      case "RequestQueryCall": {
        // what this DN knows of the call, answered here: EventPartyInfo (no switch request needed)
        const call = req.connID ? [...this.calls.values()].find((c) => c.connID === req.connID) : this.calls.size === 1 ? [...this.calls.values()][0] : undefined;
        if (!call) return fail(req.connID ? ErrorCode.InvalidConnID : this.calls.size === 0 ? ErrorCode.InvalidConnID : ErrorCode.InvalidAttribute, req.connID ? `connID ${req.connID} is not a call of DN ${dn}` : this.calls.size === 0 ? `DN ${dn} has no call` : `connID is required: DN ${dn} has ${this.calls.size} calls`);
        return answer({
          event: "EventPartyInfo", thisDN: dn, connID: call.connID, thisDNRole: call.thisRole, otherDNRole: call.otherRole, callType: call.callType,
          callState: call.phase === "held" ? CallState.Held : CallState.Ok, ...(call.otherDN ? { otherDN: call.otherDN } : {}), ...(call.userData && Object.keys(call.userData).length > 0 ? { userData: call.userData } : {}),
        });
      }
      case "RequestAttachUserData":
      case "RequestUpdateUserData":
      case "RequestDeleteUserData": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
        const entry = [...this.calls.entries()].find(([, c]) => c.connID === req.connID);
        if (!req.connID || !entry) return fail(req.connID ? ErrorCode.InvalidConnID : ErrorCode.InvalidAttribute, req.connID ? `connID ${req.connID} is not a call of DN ${dn}` : "connID is required: the call whose data changes");
        if (req.request !== "RequestDeleteUserData" && (!req.userData || Object.keys(req.userData).length === 0)) return fail(ErrorCode.InvalidAttribute, "userData is required: the key-value pairs to attach");
        const kind: UserDataChange = req.request === "RequestAttachUserData" ? "attach" : req.request === "RequestUpdateUserData" ? "update" : "delete";
        const [callId, call] = entry;
        // the first change creates the Call object: the Site names the parties the call reached here
        const parties = call.dataParty ? [] : await siteStub(this.env, identity.tenant, identity.site).openCallData(callId, call.connID);
        const changed = await callStub(this.env, identity.tenant, identity.site, call.connID).change({ tenant: identity.tenant, site: identity.site, connID: call.connID }, kind, (req.userData ?? {}) as UserData, dn, parties);
        if ("code" in changed) return fail(changed.code, changed.message);
        const userData = changed.userData;
        const now = this.calls.get(callId);
        if (!now) {
          // released while the Call object answered: the call stays gone here, and the Call forgets this party
          this.callLeft(call.connID);
          return fail(ErrorCode.InvalidConnID, `connID ${call.connID} was released at DN ${dn} meanwhile`);
        }
        this.saveCall(callId, { ...now, userData, dataParty: true });
        return answer({ event: "EventAttachedDataChanged", thisDN: dn, connID: call.connID, thirdPartyDN: dn, ...(call.otherDN ? { otherDN: call.otherDN } : {}), userData }, true);
      }
      case "RequestMonitorNextCall":
      case "RequestCancelMonitoring": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
        if (!req.otherDN || req.otherDN === dn) return fail(ErrorCode.InvalidAttribute, "otherDN is required: the agent's DN to monitor (not this DN)");
        const target = dnStub(this.env, identity.tenant, identity.site, req.otherDN);
        // the event goes to the clients of both DNs (PSDK TMonitorNextCall); a session on both hears it once
        const here = [...this.sessions];
        if (req.request === "RequestCancelMonitoring") {
          if (!(await target.cancelMonitor(dn, here))) return fail(ErrorCode.AlreadyInState, `DN ${dn} is not waiting to monitor ${req.otherDN}`);
          if (this.meta.monitoring === req.otherDN) this.meta.monitoring = undefined;
          this.saveMeta();
          return answer({ event: "EventMonitoringCancelled", thisDN: dn, otherDN: req.otherDN }, true);
        }
        const limit = checkMonitorRequest(req.monitorNextCallType, req.extensions);
        if (limit) return fail(limit.code, limit.message);
        if (this.calls.size > 0) return fail(ErrorCode.DNBusy, `DN ${dn} has a call: a CTI port carries one call at a time`);
        const armed = await target.armMonitor(dn, here, { tenant: identity.tenant, site: identity.site, number: req.otherDN });
        if (!armed.ok) return fail(armed.code, armed.message);
        const previous = this.meta.monitoring;
        this.meta.monitoring = req.otherDN;
        this.saveMeta();
        const outcome = await answer({ event: "EventMonitoringNextCall", thisDN: dn, otherDN: req.otherDN, monitorNextCallType: 0 }, true);
        if (previous && previous !== req.otherDN) {
          // a supervisor monitors one agent at a time: the new request cancels the first (PSDK)
          if (await dnStub(this.env, identity.tenant, identity.site, previous).cancelMonitor(dn, here)) {
            await this.deliverToAll({ event: "EventMonitoringCancelled", site: identity.site, time: new Date().toISOString(), thisDN: dn, otherDN: previous });
          }
        }
        return outcome;
      }
      case "RequestAgentLogin":
      case "RequestAgentLogout":
      case "RequestAgentReady":
      case "RequestAgentNotReady":
      case "RequestSetDNDOn":
      case "RequestSetDNDOff": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
        if (this.meta.config.type === "RoutingPoint") return fail(ErrorCode.UnsupportedOperation, `DN ${dn} is a routing point: agents log in on Extensions and ACD positions`);
        const outcome = agentRequest(dn, this.meta.agent, req);
        if ("code" in outcome) return fail(outcome.code, outcome.message);
        const loggedOutNow = this.meta.agent.status !== "LoggedOut" && outcome.state.status === "LoggedOut";
        this.meta.agent = outcome.state;
        this.saveMeta();
        const answered = await answer(outcome.event, true);
        if (loggedOutNow) await this.cancelMonitoringOnLogout();
        return answered;
      }
      default:
        break;
    }

    if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
    if (this.meta.kind === "remoteTerminal") {
      const refusal = refuseOnRemoteTerminal(req.request, this.inService);
      if (refusal) return fail(refusal.code, refusal.message);
    }
    const subject = req.connID ? [...this.calls.values()].find((c) => c.connID === req.connID) : this.calls.size === 1 ? [...this.calls.values()][0] : undefined;
    const onMonitor = refuseOnMonitorCall(req.request, subject);
    if (onMonitor) return fail(onMonitor.code, onMonitor.message);
    const plan = this.planCallRequest(req);
    if ("code" in plan) return fail(plan.code, plan.message);
    if (!this.meta.linkUp) return fail(ErrorCode.NoSwitchLink, `no link to the switch of site ${req.site}`);
    if (!this.meta.switchInService) return fail(ErrorCode.OutOfService, `DN ${dn} is out of service`);
    if (plan.op === "singleStepTransfer" && plan.call && (plan.call.monitorOf || remoteObserveFlag(req.extensions) !== false)) {
      const prepared = await this.prepareMonitorTransfer(req, plan.call);
      if ("code" in prepared) return fail(prepared.code, prepared.message);
      this.meta.transfers = { ...this.meta.transfers, [plan.call.callId]: req.otherDN! };
      this.saveMeta();
      const outcome = await this.sendToSwitch(req, plan);
      if (outcome.status !== 200) {
        // the switch refused: the expectation is withdrawn; the monitor call stays until the CTI port timer
        delete this.meta.transfers[plan.call.callId];
        this.saveMeta();
        await prepared.withdraw?.().catch((err: unknown) => log.warn("could not withdraw a remote-observe expectation", { error: String(err) }));
      }
      return outcome;
    }
    if (req.location && req.location !== identity.site && !(await tenantStub(this.env, identity.tenant).hasSite(req.location))) {
      return fail(ErrorCode.BadLocation, `location ${req.location} is not a site of this tenant`);
    }
    return this.sendToSwitch(req, plan);
  }

  /** Checks a call request against this DN's calls; returns the command to send or the error. */
  private planCallRequest(req: DnRequest): CallPlan | { code: number; message: string } {
    const dn = req.thisDN!;
    const pick = (eligible: (c: DnCall) => boolean, what: string): DnCall | { code: number; message: string } => {
      if (req.connID) {
        const call = [...this.calls.values()].find((c) => c.connID === req.connID);
        return call ?? { code: ErrorCode.InvalidConnID, message: `connID ${req.connID} is not a call of DN ${dn}` };
      }
      const candidates = [...this.calls.values()].filter(eligible);
      if (candidates.length === 1) return candidates[0]!;
      if (candidates.length === 0) return { code: ErrorCode.InvalidConnID, message: `DN ${dn} has no ${what} call` };
      return { code: ErrorCode.InvalidAttribute, message: `connID is required: DN ${dn} has ${candidates.length} ${what} calls` };
    };
    switch (req.request) {
      case "RequestMakeCall":
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: the number to call" };
        if (req.otherDN === dn) return { code: ErrorCode.InvalidAttribute, message: "otherDN is this DN: a DN cannot call itself" };
        return { op: "makeCall", expect: "EventDialing" };
      case "RequestAnswerCall": {
        const call = pick((c) => c.phase === "ringing", "ringing");
        if ("code" in call) return call;
        if (call.phase !== "ringing") {
          return call.phase === "established"
            ? { code: ErrorCode.AlreadyInState, message: `call ${call.connID} is already established at DN ${dn}` }
            : { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is not ringing at DN ${dn} (it is ${call.phase})` };
        }
        return { op: "answer", expect: "EventEstablished", call };
      }
      case "RequestReleaseCall": {
        const call = pick(() => true, "");
        if ("code" in call) return call;
        return { op: "release", expect: "EventReleased", call };
      }
      case "RequestHoldCall": {
        const call = pick((c) => c.phase === "established", "established");
        if ("code" in call) return call;
        if (call.phase === "held") return { code: ErrorCode.AlreadyInState, message: `call ${call.connID} is already held at DN ${dn}` };
        if (call.phase !== "established") return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is ${call.phase} at DN ${dn}: only an established call can be held` };
        return { op: "hold", expect: "EventHeld", call };
      }
      case "RequestRetrieveCall": {
        const call = pick((c) => c.phase === "held", "held");
        if ("code" in call) return call;
        if (call.phase !== "held") return { code: ErrorCode.AlreadyInState, message: `call ${call.connID} is not held at DN ${dn} (it is ${call.phase})` };
        return { op: "retrieve", expect: "EventRetrieved", call };
      }
      case "RequestInitiateTransfer":
      case "RequestInitiateConference": {
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: the party to consult" };
        const call = pick((c) => c.phase === "established" || c.phase === "held", "established");
        if ("code" in call) return call;
        if (call.phase !== "established" && call.phase !== "held") return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is ${call.phase} at DN ${dn}: only an established call can be transferred or conferenced` };
        return { op: req.request === "RequestInitiateTransfer" ? "initiateTransfer" : "initiateConference", expect: "EventDialing", call };
      }
      case "RequestDeleteFromConference": {
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: the party to drop from the conference" };
        const call = pick((c) => c.phase === "established", "established");
        if ("code" in call) return call;
        return { op: "deleteFromConference", expect: "EventPartyDeleted", call };
      }
      case "RequestCompleteTransfer":
      case "RequestCompleteConference": {
        const call = pick((c) => c.phase === "held", "held");
        if ("code" in call) return call;
        const others = [...this.calls.values()].filter((c) => c !== call && (req.transferConnID ? c.connID === req.transferConnID : c.phase === "established" || c.phase === "dialing"));
        if (others.length !== 1) {
          return req.transferConnID
            ? { code: ErrorCode.InvalidConnID, message: `transferConnID ${req.transferConnID} is not a call of DN ${dn}` }
            : { code: ErrorCode.InvalidAttribute, message: `transferConnID is required: DN ${dn} has ${others.length} consult call candidates` };
        }
        return req.request === "RequestCompleteTransfer"
          ? { op: "completeTransfer", expect: "EventReleased", call, consult: others[0] }
          : { op: "completeConference", expect: "EventPartyAdded", call, consult: others[0] };
      }
      case "RequestClearCall": {
        // CallControlCall.drop(): every party of the call is released
        const call = pick(() => true, "");
        if ("code" in call) return call;
        return { op: "clearCall", expect: "EventReleased", call };
      }
      case "RequestSingleStepConference": {
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: the party to add to the call" };
        const call = pick((c) => c.phase === "established", "established");
        if ("code" in call) return call;
        if (call.phase !== "established") return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is ${call.phase} at DN ${dn}: only an established call can be conferenced` };
        return { op: "singleStepConference", expect: "EventPartyAdded", call };
      }
      case "RequestMuteTransfer":
      case "RequestSingleStepTransfer": {
        // a mute transfer (no consultation) is the switch's blind transfer on UCM: CallControlCall.transfer(String)
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: where to transfer the call" };
        const call = pick((c) => c.phase === "established", "established");
        if ("code" in call) return call;
        if (call.phase !== "established") return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is ${call.phase} at DN ${dn}: only an established call can be transferred` };
        return { op: "singleStepTransfer", expect: "EventReleased", call };
      }
      case "RequestAlternateCall":
      case "RequestReconnectCall": {
        const held = pick((c) => c.phase === "held", "held");
        if ("code" in held) return held;
        if (held.phase !== "held") return { code: ErrorCode.AlreadyInState, message: `call ${held.connID} is not held at DN ${dn}` };
        const others = [...this.calls.values()].filter((c) => c !== held && (req.transferConnID ? c.connID === req.transferConnID : c.phase === "established" || c.phase === "dialing"));
        if (others.length !== 1) return { code: req.transferConnID ? ErrorCode.InvalidConnID : ErrorCode.InvalidAttribute, message: req.transferConnID ? `transferConnID ${req.transferConnID} is not a call of DN ${dn}` : `transferConnID is required: DN ${dn} has ${others.length} other calls` };
        return req.request === "RequestAlternateCall"
          ? { op: "alternate", expect: "EventRetrieved", call: held, consult: others[0] }
          : { op: "reconnect", expect: "EventRetrieved", call: held, consult: others[0] };
      }
      case "RequestRedirectCall": {
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: where to redirect the call" };
        const call = pick((c) => c.phase === "ringing", "ringing");
        if ("code" in call) return call;
        if (call.phase !== "ringing") return { code: ErrorCode.UnsupportedOperation, message: `call ${call.connID} is not ringing at DN ${dn} (it is ${call.phase})` };
        return { op: "redirect", expect: "EventReleased", call };
      }
      case "RequestRouteCall": {
        if (this.meta.config?.type !== "RoutingPoint") return { code: ErrorCode.UnsupportedOperation, message: `DN ${dn} is not a routing point` };
        if (!req.otherDN) return { code: ErrorCode.InvalidAttribute, message: "otherDN is required: the destination to route the call to" };
        const raw = req.extensions?.INVALID_DEST_ACTION;
        const action = raw === undefined ? null : parseInvalidDestAction(raw);
        if (raw !== undefined && action === null) {
          return { code: ErrorCode.InvalidAttribute, message: `extension INVALID_DEST_ACTION: "${String(raw)}" is not valid; valid values: none, notready, walkaway, logout` };
        }
        const call = pick((c) => c.phase === "ringing", "waiting");
        if ("code" in call) return call;
        return { op: "routeCall", expect: "EventRouteUsed", call, route: { destination: req.otherDN, action } };
      }
      default:
        return { code: ErrorCode.UnsupportedOperation, message: `${req.request} is not supported on this T-Server yet` };
    }
  }

  private async sendToSwitch(req: DnRequest, plan: CallPlan): Promise<RequestOutcome> {
    const identity = this.meta.identity!;
    const commandId = crypto.randomUUID();
    let settle!: (outcome: RequestOutcome) => void;
    const outcome = new Promise<RequestOutcome>((r) => (settle = r));
    let done = false;
    const pending: Pending = {
      referenceID: req.referenceID, sessionId: req.sessionId, expect: plan.expect, route: plan.route,
      ...(plan.op === "makeCall" && req.otherDN ? { otherDN: req.otherDN } : {}),
      resolve: (o) => { done = true; clearTimeout(pending.timer); settle(o); },
      // a consult's answer is the new call's EventDialing: its call id comes with the switch's result
      ...(plan.op === "initiateTransfer" || plan.op === "initiateConference" ? { consultFor: plan.call!.connID } : { callId: plan.call?.callId }),
    };
    // registered before the command goes: a fast result may come back before sendCommand returns
    this.pendingByCommand.set(commandId, pending);
    const sent = await siteStub(this.env, identity.tenant, identity.site).sendCommand({
      t: "command", id: commandId, op: plan.op, dn: identity.number,
      ...(plan.call ? { callId: plan.call.callId } : {}),
      ...(req.otherDN && ["makeCall", "routeCall", "initiateTransfer", "initiateConference", "singleStepTransfer", "redirect", "deleteFromConference", "singleStepConference"].includes(plan.op) ? { otherDN: req.otherDN } : {}),
      ...(plan.consult ? { consultCallId: plan.consult.callId } : {}),
    }).catch((err: unknown): SendResult => ({ ok: false, errorCode: ErrorCode.InternalError, errorMessage: `the command could not be sent: ${String(err)}` }));
    if (!sent.ok) {
      if (this.pendingByCommand.get(commandId) === pending) this.pendingByCommand.delete(commandId);
      const event: TEvent = { ...errorEvent(sent.errorCode, sent.errorMessage, identity.number), site: identity.site, referenceID: req.referenceID, time: new Date().toISOString() };
      await this.deliverTo(req.sessionId, [event]).catch(() => undefined);
      return { status: 422, referenceID: req.referenceID, event };
    }
    if (!done) {
      pending.timer = setTimeout(() => {
        this.pendingByCommand.delete(commandId);
        if (pending.callId) {
          const key = `${plan.expect}:${pending.callId}`;
          const rest = (this.pendingByAnswer.get(key) ?? []).filter((p) => p !== pending);
          if (rest.length) this.pendingByAnswer.set(key, rest);
          else this.pendingByAnswer.delete(key);
        }
        const event: TEvent = { ...errorEvent(ErrorCode.Timeout, `the switch did not answer ${req.request} within ${sent.timeoutMs / 1000} s`, identity.number), site: identity.site, referenceID: req.referenceID, time: new Date().toISOString() };
        void this.deliverTo(req.sessionId, [event]).catch(() => undefined);
        pending.resolve({ status: 422, referenceID: req.referenceID, event });
      }, sent.timeoutMs);
    }
    return outcome;
  }
}
