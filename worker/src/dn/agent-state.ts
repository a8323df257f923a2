// Emulated agent state of a DN: UCM has no ACD agent state, so this T-Server keeps it, as T-Server for
// UCM does. Pure functions from a request to the next state and its event.
import { AgentWorkMode, ErrorCode } from "../../../shared/tlib.js";
import type { ClientRequest, TEvent } from "../../../shared/client-api.js";

export interface AgentState {
  agentID: string | null;
  status: "LoggedOut" | "Ready" | "NotReady";
  workMode: number;
  reasons?: Record<string, string | number | boolean | null>;
  dnd: boolean;
}

export const loggedOut: AgentState = { agentID: null, status: "LoggedOut", workMode: AgentWorkMode.Unknown, dnd: false };

type Outcome = { state: AgentState; event: TEvent } | { code: number; message: string };

const readyModes: number[] = [AgentWorkMode.Unknown, AgentWorkMode.ManualIn, AgentWorkMode.AutoIn];
const notReadyModes: number[] = [AgentWorkMode.Unknown, AgentWorkMode.AfterCallWork, AgentWorkMode.AuxWork, AgentWorkMode.NoCallDisconnect, AgentWorkMode.WalkAway];

function agentEvent(name: TEvent["event"], dn: string, s: AgentState): TEvent {
  return {
    event: name, thisDN: dn,
    ...(s.agentID ? { agentID: s.agentID } : {}),
    agentWorkMode: s.workMode,
    ...(s.reasons ? { reasons: s.reasons } : {}),
  };
}

export function agentRequest(dn: string, s: AgentState, req: ClientRequest): Outcome {
  const mode = req.agentWorkMode ?? AgentWorkMode.Unknown;
  const reasons = req.reasons as AgentState["reasons"];
  switch (req.request) {
    case "RequestAgentLogin": {
      if (!req.agentID) return { code: ErrorCode.InvalidAttribute, message: "agentID is required to log in" };
      if (s.status !== "LoggedOut") return { code: ErrorCode.AlreadyInState, message: `agent ${s.agentID} is already logged in at DN ${dn}` };
      if (![...readyModes, ...notReadyModes].includes(mode)) return { code: ErrorCode.InvalidAttribute, message: `agentWorkMode ${mode} is not a work mode for login` };
      // AutoIn and ManualIn log in ready; any other mode logs in not ready
      const status = mode === AgentWorkMode.AutoIn || mode === AgentWorkMode.ManualIn ? "Ready" : "NotReady";
      const state: AgentState = { ...s, agentID: req.agentID, status, workMode: mode, ...(reasons ? { reasons } : { reasons: undefined }) };
      return { state, event: agentEvent("EventAgentLogin", dn, state) };
    }
    case "RequestAgentLogout": {
      if (s.status === "LoggedOut") return { code: ErrorCode.AlreadyInState, message: `no agent is logged in at DN ${dn}` };
      const state: AgentState = { ...loggedOut, dnd: s.dnd, agentID: null, reasons: reasons ?? undefined };
      return { state, event: agentEvent("EventAgentLogout", dn, { ...state, agentID: s.agentID }) };
    }
    case "RequestAgentReady": {
      if (s.status === "LoggedOut") return { code: ErrorCode.UnsupportedOperation, message: `no agent is logged in at DN ${dn}: send RequestAgentLogin first` };
      if (!readyModes.includes(mode)) return { code: ErrorCode.InvalidAttribute, message: `agentWorkMode ${mode} is not a ready work mode (1 ManualIn, 2 AutoIn)` };
      const state: AgentState = { ...s, status: "Ready", workMode: mode, reasons: reasons ?? undefined };
      return { state, event: agentEvent("EventAgentReady", dn, state) };
    }
    case "RequestAgentNotReady": {
      if (s.status === "LoggedOut") return { code: ErrorCode.UnsupportedOperation, message: `no agent is logged in at DN ${dn}: send RequestAgentLogin first` };
      if (!notReadyModes.includes(mode)) return { code: ErrorCode.InvalidAttribute, message: `agentWorkMode ${mode} is not a not-ready work mode (3 AfterCallWork, 4 AuxWork, 6 WalkAway)` };
      const state: AgentState = { ...s, status: "NotReady", workMode: mode, reasons: reasons ?? undefined };
      return { state, event: agentEvent("EventAgentNotReady", dn, state) };
    }
    case "RequestSetDNDOn":
    case "RequestSetDNDOff": {
      const on = req.request === "RequestSetDNDOn";
      if (s.dnd === on) return { code: ErrorCode.AlreadyInState, message: `DND is already ${on ? "on" : "off"} at DN ${dn}` };
      const state: AgentState = { ...s, dnd: on };
      return { state, event: { event: on ? "EventDNDOn" : "EventDNDOff", thisDN: dn } };
    }
    default:
      return { code: ErrorCode.UnsupportedOperation, message: `${req.request} is not an agent request` };
  }
}

export const InvalidDestActions = ["none", "notready", "walkaway", "logout"] as const;
export type InvalidDestAction = (typeof InvalidDestActions)[number];

/** Values are taken in any case ("NotReady" = "notready"); anything else is refused. */
export function parseInvalidDestAction(value: unknown): InvalidDestAction | null {
  if (typeof value !== "string") return null;
  const v = value.trim().toLowerCase();
  return (InvalidDestActions as readonly string[]).includes(v) ? (v as InvalidDestAction) : null;
}

/**
 * Feature "agent state change on an unavailable DN": a call routed to this DN failed as an invalid
 * destination; the agent logged in here stops being routable. Nothing happens with DND on or no agent.
 */
export function applyInvalidDestAction(dn: string, s: AgentState, action: InvalidDestAction): { state: AgentState; event: TEvent } | null {
  if (action === "none" || s.dnd || s.status === "LoggedOut") return null;
  const reasons = { INVALID_DEST_ACTION: action };
  if (action === "logout") {
    const state: AgentState = { ...loggedOut, dnd: s.dnd };
    return { state, event: { ...agentEvent("EventAgentLogout", dn, { ...s, workMode: AgentWorkMode.Unknown, reasons: undefined }), reasons } };
  }
  const workMode = action === "walkaway" ? AgentWorkMode.WalkAway : s.status === "NotReady" ? s.workMode : AgentWorkMode.Unknown;
  const state: AgentState = { ...s, status: "NotReady", workMode, reasons };
  return { state, event: agentEvent("EventAgentNotReady", dn, state) };
}
