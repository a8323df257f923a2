// Dn: one per tenant + site + DN number. Owns the DN's configuration, service state, its calls as
// this DN sees them, the client sessions registered on it, and the requests waiting for the switch.
import { DurableObject } from "cloudflare:workers";
import { type Env, callStub, dnStub, sessionStub, siteStub } from "../env.js";
import type { UserData, UserDataChange } from "./call.js";
import type { ClientRequest, TEvent } from "../../../shared/client-api.js";
import { CallState, ErrorCode } from "../../../shared/tlib.js";
import type { CommandOp } from "../../../shared/uplink.js";
import type { Delivery, DnCall, DnConfig, DnInput } from "../dn/types.js";
import { addressStatus, applyCallFact, applyPartyChanged, reconcile } from "../dn/calls.js";
import { errorEvent } from "../errors.js";
import { type AgentState, agentRequest, applyInvalidDestAction, type InvalidDestAction, loggedOut, parseInvalidDestAction } from "../dn/agent-state.js";
import { log } from "../log.js";

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
  resolve: (outcome: RequestOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
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
}

export class Dn extends DurableObject<Env> {
  private meta: Meta = { identity: null, config: null, switchInService: false, linkUp: false, agent: loggedOut };
  private calls = new Map<string, DnCall>();
  private sessions = new Set<string>();
  private pendingByCommand = new Map<string, Pending>();
  private pendingByAnswer = new Map<string, Pending>();
  /** Consult calls this DN placed (RequestInitiateTransfer): call id -> connID of the call they consult about. */
  private consults = new Map<string, string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // an object of a number nobody configured stays empty: asking about it must not create storage
      const sql = ctx.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length === 0) return;
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

  private saveCall(callId: string, call: DnCall | undefined): void {
    const had = this.calls.get(callId);
    if (call && !had) this.callJoined(callId, call.connID);
    if (!call && had) this.callLeft(had.connID);
    if (call) {
      this.calls.set(callId, call);
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO calls (call_id, body) VALUES (?, ?)", callId, JSON.stringify(call));
    } else {
      this.calls.delete(callId);
      this.ctx.storage.sql.exec("DELETE FROM calls WHERE call_id = ?", callId);
    }
  }

  private get inService(): boolean {
    return this.meta.linkUp && this.meta.switchInService;
  }

  // ---- configuration (called by the Site, which keeps the index of configured DNs) ----

  configure(identity: DnIdentity, config: DnConfig, linkUp: boolean): void {
    const fresh = !this.meta.identity;
    if (fresh) this.createTables();
    this.meta.identity = identity;
    this.meta.config = config;
    if (fresh) this.meta.linkUp = linkUp;
    this.saveMeta();
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
    this.pendingByCommand.clear();
    this.pendingByAnswer.clear();
    this.sessions.clear();
    this.calls.clear();
    this.meta = { identity: null, config: null, switchInService: false, linkUp: false, agent: loggedOut };
    await this.ctx.storage.deleteAll();
  }

  // ---- switch facts, in stream order (called by the Site) ----

  applySwitch(inputs: DnInput[]): Delivery[] {
    const identity = this.meta.identity;
    if (!identity) return [];
    const out: Delivery[] = [];
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
        const result = reconcile(dn, this.calls, input.entry, input.connIDs, input.time);
        this.replaceCalls(result.calls);
        emit(input.idx, this.serviceChange(wasInService, input.time));
        emit(input.idx, result.events);
        continue;
      } else {
        const ev = input.ev;
        if (ev.kind === "service") {
          this.meta.switchInService = ev.inService;
        } else if (ev.kind === "result") {
          this.completeCommand(input.idx, ev, out);
          continue;
        } else if (ev.kind === "partyChanged") {
          const previous = ev.previousCallId ?? ev.callId;
          const change = applyPartyChanged(dn, this.calls.get(previous), ev, input.connID ?? "", input.previousConnID);
          if (previous !== ev.callId) this.saveCall(previous, undefined);
          this.saveCall(ev.callId, change.call);
          emit(input.idx, change.events, ev.callId);
          continue;
        } else if (ev.kind === "observer" || ev.kind === "remoteDestination") {
          // F2/F3 facts (jtapi-fidelity B.0): not acted on yet
          continue;
        } else {
          let fact = ev;
          const consultOf = ev.kind === "dialing" ? this.consults.get(ev.callId) : undefined;
          if (consultOf && fact.kind === "dialing") fact = { ...fact, callType: 4 };
          const change = applyCallFact(dn, this.calls.get(ev.callId), fact, input.connID ?? "");
          this.saveCall(ev.callId, change.call);
          if (this.meta.monitorNext && ev.kind !== "monitorStarted" && change.events.some((e) => e.event === "EventEstablished")) this.startMonitoring(ev.callId);
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
    this.saveMeta();
    return out;
  }

  private replaceCalls(next: Map<string, DnCall>): void {
    for (const callId of [...this.calls.keys()]) if (!next.has(callId)) this.saveCall(callId, undefined);
    for (const [callId, call] of next) this.saveCall(callId, call);
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

  /** Another party changed the call's user data: every session here hears of it. */
  async userDataChanged(connID: string, userData: UserData, byDn: string): Promise<void> {
    const identity = this.meta.identity;
    const entry = [...this.calls.entries()].find(([, c]) => c.connID === connID);
    if (!identity || !entry) return;
    const [callId, call] = entry;
    this.saveCall(callId, { ...call, userData });
    await this.deliverToAll({
      event: "EventAttachedDataChanged", site: identity.site, time: new Date().toISOString(),
      thisDN: identity.number, connID, thirdPartyDN: byDn, ...(call.otherDN ? { otherDN: call.otherDN } : {}), userData,
    });
  }

  private serviceChange(wasInService: boolean, time: string): TEvent[] {
    if (wasInService === this.inService) return [];
    return [{ event: this.inService ? "EventDNBackInService" : "EventDNOutOfService", time, thisDN: this.meta.identity!.number }];
  }

  /** Hands an event to every registered session; the requester's copy of an answering event gets its referenceID. */
  private distribute(idx: number, event: TEvent, out: Delivery[], callId?: string): void {
    const site = this.meta.identity!.site;
    const pending = callId ? this.pendingByAnswer.get(`${event.event}:${callId}`) : undefined;
    if (pending) {
      this.pendingByAnswer.delete(`${event.event}:${callId}`);
      clearTimeout(pending.timer);
    }
    for (const sessionId of this.sessions) {
      const copy: TEvent = { ...event, site };
      if (pending && pending.sessionId === sessionId) copy.referenceID = pending.referenceID;
      out.push({ idx, sessionId, event: copy });
    }
    if (pending) pending.resolve({ status: 200, referenceID: pending.referenceID, event: { ...event, site, referenceID: pending.referenceID } });
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
        this.ctx.waitUntil(dnStub(this.env, identity.tenant, identity.site, destination).invalidDestination(action)
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
    this.pendingByAnswer.set(`${pending.expect}:${pending.callId}`, pending);
  }

  private failPending(code: number, message: string): void {
    const identity = this.meta.identity!;
    const all = new Set([...this.pendingByCommand.values(), ...this.pendingByAnswer.values()]);
    this.pendingByCommand.clear();
    this.pendingByAnswer.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      const event = { ...errorEvent(code, message, identity.number), site: identity.site, referenceID: p.referenceID };
      void this.deliverTo(p.sessionId, [event]).catch((err: unknown) => log.warn("could not deliver an EventError", { sessionId: p.sessionId, error: String(err) }));
      p.resolve({ status: 422, referenceID: p.referenceID, event });
    }
  }

  // ---- silent monitoring (MonitorNextCall, one call) ----

  /** Arms monitoring of this DN's next call for `by`; refused when another DN already waits for it. */
  armMonitor(by: string): { ok: true } | { ok: false; code: number; message: string } {
    if (!this.meta.identity || !this.meta.config) return { ok: false, code: ErrorCode.DNNotConfigured, message: "the DN to monitor is not configured" };
    if (this.meta.monitorNext && this.meta.monitorNext !== by) return { ok: false, code: ErrorCode.ResourceSeized, message: `DN ${this.meta.identity.number}'s next call is already monitored by ${this.meta.monitorNext}` };
    this.meta.monitorNext = by;
    this.saveMeta();
    return { ok: true };
  }

  cancelMonitor(by: string): boolean {
    if (this.meta.monitorNext !== by) return false;
    this.meta.monitorNext = undefined;
    this.saveMeta();
    return true;
  }

  /** The next call is established: the monitoring DN starts listening (MonitorOneCall: this call only). */
  private startMonitoring(callId: string): void {
    const identity = this.meta.identity!;
    const by = this.meta.monitorNext!;
    this.meta.monitorNext = undefined;
    this.ctx.waitUntil(siteStub(this.env, identity.tenant, identity.site)
      .sendCommand({ t: "command", id: crypto.randomUUID(), op: "startMonitor", dn: identity.number, callId, otherDN: by })
      .then((sent) => { if (!sent.ok) log.warn("could not start monitoring", { dn: identity.number, by, error: sent.errorMessage }); })
      .catch((err: unknown) => log.warn("could not start monitoring", { dn: identity.number, by, error: String(err) })));
  }

  // ---- emulated agent state ----

  /** A call routed here failed as an invalid destination: apply route-invalid-dest-action (F1). */
  async invalidDestination(requestAction: InvalidDestAction | null): Promise<void> {
    const identity = this.meta.identity;
    if (!identity || !this.meta.config) return;
    const action = requestAction
      ?? parseInvalidDestAction(this.meta.config.annex?.TServer?.["route-invalid-dest-action"])
      ?? parseInvalidDestAction(await siteStub(this.env, identity.tenant, identity.site).option("TServer", "route-invalid-dest-action"))
      ?? "none";
    const change = applyInvalidDestAction(identity.number, this.meta.agent, action);
    log.info("route to an invalid destination", { site: identity.site, dn: identity.number, action, applied: !!change });
    if (!change) return;
    this.meta.agent = change.state;
    this.saveMeta();
    await this.deliverToAll({ ...change.event, site: identity.site, time: new Date().toISOString() });
  }

  private async deliverToAll(event: TEvent): Promise<void> {
    await Promise.all([...this.sessions].map((s) => this.deliverTo(s, [event]).catch((err) => log.warn("could not deliver to a session", { sessionId: s, error: String(err) }))));
  }

  // ---- client sessions ----

  async sessionEnded(sessionId: string): Promise<void> {
    if (!this.meta.identity || !this.sessions.delete(sessionId)) return;
    this.ctx.storage.sql.exec("DELETE FROM registrations WHERE session_id = ?", sessionId);
  }

  private async deliverTo(sessionId: string, events: TEvent[]): Promise<void> {
    const identity = this.meta.identity;
    if (!identity) return;
    await sessionStub(this.env, identity.tenant, sessionId).deliver(events);
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
    const identity = this.meta.identity;
    if (!identity || !this.meta.config) return fail(ErrorCode.DNNotConfigured, `DN ${dn} is not configured on site ${req.site}`);

    switch (req.request) {
      case "RequestRegisterAddress": {
        if (!this.sessions.has(req.sessionId)) {
          this.sessions.add(req.sessionId);
          this.ctx.storage.sql.exec("INSERT OR REPLACE INTO registrations (session_id, registered) VALUES (?, ?)", req.sessionId, new Date().toISOString());
          await sessionStub(this.env, identity.tenant, req.sessionId).registered(identity.site, dn, true);
        }
        return answer({ event: "EventRegistered", thisDN: dn });
      }
      case "RequestUnregisterAddress": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session`);
        this.sessions.delete(req.sessionId);
        this.ctx.storage.sql.exec("DELETE FROM registrations WHERE session_id = ?", req.sessionId);
        await sessionStub(this.env, identity.tenant, req.sessionId).registered(identity.site, dn, false);
        return answer({ event: "EventUnregistered", thisDN: dn });
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
        const userData = await callStub(this.env, identity.tenant, identity.site, call.connID).change({ tenant: identity.tenant, site: identity.site, connID: call.connID }, kind, (req.userData ?? {}) as UserData, dn);
        this.saveCall(callId, { ...this.calls.get(callId) ?? call, userData });
        return answer({ event: "EventAttachedDataChanged", thisDN: dn, connID: call.connID, thirdPartyDN: dn, ...(call.otherDN ? { otherDN: call.otherDN } : {}), userData }, true);
      }
      case "RequestMonitorNextCall":
      case "RequestCancelMonitoring": {
        if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
        if (!req.otherDN || req.otherDN === dn) return fail(ErrorCode.InvalidAttribute, "otherDN is required: the agent's DN to monitor (not this DN)");
        const target = dnStub(this.env, identity.tenant, identity.site, req.otherDN);
        if (req.request === "RequestCancelMonitoring") {
          if (!(await target.cancelMonitor(dn))) return fail(ErrorCode.AlreadyInState, `DN ${dn} is not waiting to monitor ${req.otherDN}`);
          return answer({ event: "EventMonitoringCancelled", thisDN: dn, otherDN: req.otherDN }, true);
        }
        if (this.calls.size > 0) return fail(ErrorCode.DNBusy, `DN ${dn} has a call: a monitoring DN carries one call at a time`);
        const armed = await target.armMonitor(dn);
        if (!armed.ok) return fail(armed.code, armed.message);
        return answer({ event: "EventMonitoringNextCall", thisDN: dn, otherDN: req.otherDN, monitorNextCallType: 0 }, true);
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
        this.meta.agent = outcome.state;
        this.saveMeta();
        return answer(outcome.event, true);
      }
      default:
        break;
    }

    if (!this.sessions.has(req.sessionId)) return fail(ErrorCode.DNNotRegistered, `DN ${dn} is not registered by this session: send RequestRegisterAddress first`);
    const plan = this.planCallRequest(req);
    if ("code" in plan) return fail(plan.code, plan.message);
    if (!this.meta.linkUp) return fail(ErrorCode.NoSwitchLink, `no link to the switch of site ${req.site}`);
    if (!this.meta.switchInService) return fail(ErrorCode.OutOfService, `DN ${dn} is out of service`);
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
    const sent = await siteStub(this.env, identity.tenant, identity.site).sendCommand({
      t: "command", id: commandId, op: plan.op, dn: identity.number,
      ...(plan.call ? { callId: plan.call.callId } : {}),
      ...(req.otherDN && ["makeCall", "routeCall", "initiateTransfer", "initiateConference", "singleStepTransfer", "redirect", "deleteFromConference", "singleStepConference"].includes(plan.op) ? { otherDN: req.otherDN } : {}),
      ...(plan.consult ? { consultCallId: plan.consult.callId } : {}),
    });
    if (!sent.ok) {
      const event: TEvent = { ...errorEvent(sent.errorCode, sent.errorMessage, identity.number), site: identity.site, referenceID: req.referenceID, time: new Date().toISOString() };
      await this.deliverTo(req.sessionId, [event]).catch(() => undefined);
      return { status: 422, referenceID: req.referenceID, event };
    }
    return new Promise<RequestOutcome>((resolve) => {
      const pending: Pending = {
        referenceID: req.referenceID, sessionId: req.sessionId, expect: plan.expect, route: plan.route, resolve,
        // a consult's answer is the new call's EventDialing: its call id comes with the switch's result
        ...(plan.op === "initiateTransfer" || plan.op === "initiateConference" ? { consultFor: plan.call!.connID } : { callId: plan.call?.callId }),
        timer: setTimeout(() => {
          this.pendingByCommand.delete(commandId);
          if (pending.callId) this.pendingByAnswer.delete(`${plan.expect}:${pending.callId}`);
          const event: TEvent = { ...errorEvent(ErrorCode.Timeout, `the switch did not answer ${req.request} within ${sent.timeoutMs / 1000} s`, identity.number), site: identity.site, referenceID: req.referenceID, time: new Date().toISOString() };
          void this.deliverTo(req.sessionId, [event]).catch(() => undefined);
          resolve({ status: 422, referenceID: req.referenceID, event });
        }, sent.timeoutMs),
      };
      this.pendingByCommand.set(commandId, pending);
    });
  }
}
