// Route points and the feature "agent state change on an unavailable DN" (F1), end to end: the
// simulated route point offers the call, a routing client routes it, the switch refuses an
// unavailable destination, and the agent logged in there is taken out of the routable state.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
let router: ClientSession;
let desktop: ClientSession;
beforeAll(async () => {
  stack = await startStack();
  router = await ClientSession.open(stack.client());
  await router.register("site-a", "1500", "1002");
  desktop = await ClientSession.open(stack.client());
  await desktop.register("site-a", "1003");
});
afterAll(async () => {
  await router?.close();
  await desktop?.close();
  await stack?.stop();
});

const config = async (method: string, path: string, body: unknown) => {
  const res = await fetch(`${stack.api}${path}`, { method, headers: { authorization: `Bearer ${stack.keys.config}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const sim = (path: string, body?: unknown) => stack.simControl("POST", `/clusters/site-a${path}`, body);
const settle = () => new Promise((r) => setTimeout(r, 300));

/** Places a call to the route point and returns its EventRouteRequest. */
async function callRoutePoint(): Promise<TEvent> {
  const seen = router.events.length;
  expect((await sim("/devices/1001/offhook", { dial: "1500" })).status).toBe(200);
  return router.waitFor((e) => e.event === "EventRouteRequest" && router.events.indexOf(e) >= seen, "EventRouteRequest");
}
async function hangUpCaller(): Promise<void> {
  await sim("/devices/1001/hangup");
  // a call still waiting at the route point is released there; one already routed has left it
  await router.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1500", "the call gone", 200).catch(() => undefined);
}

/** The agent at 1003, logged in and ready, with the options as given; returns the agent events a failed route produced. */
async function failedRoute(opts: { request?: string; annex?: string; app?: string; dnd?: boolean; login?: boolean }): Promise<{ agentEvents: TEvent[]; error: TEvent }> {
  expect((await config("PUT", "/v1/sites/site-a/options/TServer", opts.app ? { "route-invalid-dest-action": opts.app } : {})).status).toBe(200);
  expect((await config("PUT", "/v1/sites/site-a/dns/1003", { type: "Extension", ...(opts.annex ? { annex: { TServer: { "route-invalid-dest-action": opts.annex } } } : {}) })).status).toBe(200);
  // each set-up request's event is waited for on the stream, so that only what the failed route does is counted
  const setUp = async (request: Parameters<ClientSession["request"]>[1]) => {
    const answer = await desktop.request("site-a", request);
    await desktop.waitFor((e) => e.referenceID === answer.referenceID, `${request.request} on the stream`);
    return answer;
  };
  const query = (await desktop.request("site-a", { request: "RequestQueryAddress", thisDN: "1003" })).event;
  if (query.agentState !== "LoggedOut") await setUp({ request: "RequestAgentLogout", thisDN: "1003" });
  if (query.dnd !== (opts.dnd ?? false)) await setUp({ request: opts.dnd ? "RequestSetDNDOn" : "RequestSetDNDOff", thisDN: "1003" });
  if (opts.login !== false) {
    const login = await setUp({ request: "RequestAgentLogin", thisDN: "1003", agentID: "agent-7", agentWorkMode: 2 });
    expect(login.event).toMatchObject({ event: "EventAgentLogin", agentID: "agent-7", agentWorkMode: 2 });
  }
  const mark = desktop.events.length;
  const rr = await callRoutePoint();
  const routed = await router.request("site-a", { request: "RequestRouteCall", thisDN: "1500", connID: rr.connID, otherDN: "1003", ...(opts.request ? { extensions: { INVALID_DEST_ACTION: opts.request } } : {}) });
  expect(routed.status).toBe(422);
  await settle();
  await hangUpCaller();
  return { agentEvents: desktop.events.slice(mark).filter((e) => e.event.startsWith("EventAgent")), error: routed.event };
}

const expected = {
  notready: [{ event: "EventAgentNotReady", thisDN: "1003", agentID: "agent-7", agentWorkMode: 0 }],
  walkaway: [{ event: "EventAgentNotReady", thisDN: "1003", agentID: "agent-7", agentWorkMode: 6 }],
  logout: [{ event: "EventAgentLogout", thisDN: "1003", agentID: "agent-7" }],
  none: [],
} as const;
const shape = (events: TEvent[]) => events.map((e) => ({ event: e.event, thisDN: e.thisDN, agentID: e.agentID, ...(e.event === "EventAgentNotReady" ? { agentWorkMode: e.agentWorkMode } : {}) }));

describe("a route point", () => {
  it("asks the routing client, routes to a ready agent: EventRouteRequest, RequestRouteCall, EventRouteUsed, EventRinging at the agent", async () => {
    const rr = await callRoutePoint();
    // GENEM Call-Routing Events: ThisQueue = ThisDN; EventRouteUsed names the destination in ThirdPartyDN (role Destination)
    expect(rr).toMatchObject({ event: "EventRouteRequest", thisDN: "1500", thisQueue: "1500", otherDN: "1001", thisDNRole: 2, callType: 1, ani: "1001", dnis: "1500" });
    const routed = await router.request("site-a", { request: "RequestRouteCall", thisDN: "1500", connID: rr.connID, otherDN: "1002" });
    expect(routed.status).toBe(200);
    expect(routed.event).toMatchObject({ event: "EventRouteUsed", thisDN: "1500", thisQueue: "1500", otherDN: "1001", thirdPartyDN: "1002", thirdPartyDNRole: 2, connID: rr.connID });
    const ringing = await router.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging at 1002");
    // the DNIS of a routed call is the number dialed, the route point
    expect(ringing).toMatchObject({ otherDN: "1001", connID: rr.connID, ani: "1001", dnis: "1500" });
    expect(router.trail().slice(-3)).toEqual([["EventRouteRequest", "1500"], ["EventRouteUsed", "1500"], ["EventRinging", "1002"]]);
    await sim("/devices/1001/hangup");
    await router.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002", "EventReleased at 1002");
  });

  it("routing to a DN that does not exist gives EventError 177, and the call still gets its default treatment", async () => {
    const rr = await callRoutePoint();
    const routed = await router.request("site-a", { request: "RequestRouteCall", thisDN: "1500", connID: rr.connID, otherDN: "1999" });
    expect(routed.status).toBe(422);
    expect(routed.event).toMatchObject({ event: "EventError", errorCode: 177, thisDN: "1500" });
    // the switch's route select timer (5 s) sends the call to the route point's default destination: EventRouteUsed, not EventReleased
    const used = await router.waitFor((e) => e.event === "EventRouteUsed" && e.connID === rr.connID, "EventRouteUsed of the default route", 10_000);
    expect(used).toMatchObject({ thisDN: "1500", thisQueue: "1500", otherDN: "1001", thirdPartyDN: "1004", thirdPartyDNRole: 2 });
    expect(router.events.some((e) => e.event === "EventReleased" && e.connID === rr.connID && e.thisDN === "1500")).toBe(false);
    const device = await stack.simControl("GET", "/clusters/site-a/devices/1004");
    expect(device.body.calls[0]).toMatchObject({ state: "ALERTING", callingAddress: "1001" });
    await sim("/devices/1001/hangup");
  });
});

describe("agent state change on an unavailable DN (route-invalid-dest-action)", () => {
  beforeAll(async () => {
    expect((await sim("/devices/1003/out-of-service")).status).toBe(200);
    await desktop.waitFor((e) => e.event === "EventDNOutOfService", "1003 out of service");
  });

  for (const source of ["request", "annex", "app"] as const) {
    for (const action of ["notready", "walkaway", "logout", "none"] as const) {
      it(`${action} from the ${source === "request" ? "request's extension" : source === "annex" ? "DN's Annex" : "application option"}`, async () => {
        const { agentEvents, error } = await failedRoute({ [source]: action });
        expect(error).toMatchObject({ event: "EventError", errorCode: 177 });
        expect(shape(agentEvents)).toEqual(expected[action]);
      });
    }
  }

  it("precedence: the request's extension over the Annex over the application", async () => {
    expect(shape((await failedRoute({ request: "walkaway", annex: "logout", app: "notready" })).agentEvents)).toEqual(expected.walkaway);
    expect(shape((await failedRoute({ annex: "logout", app: "notready" })).agentEvents)).toEqual(expected.logout);
    expect(shape((await failedRoute({ request: "none", app: "logout" })).agentEvents)).toEqual(expected.none);
    expect(shape((await failedRoute({ annex: "NotReady", app: "logout" })).agentEvents)).toEqual(expected.notready);
  });

  it("does nothing while DND is on, or when no agent is logged in (the router still gets its EventError)", async () => {
    expect((await failedRoute({ app: "logout", dnd: true })).agentEvents).toEqual([]);
    const noAgent = await failedRoute({ app: "logout", login: false });
    expect(noAgent.agentEvents).toEqual([]);
    expect(noAgent.error.errorCode).toBe(177);
  });

  it("refuses an unknown value in the request's extension with EventError 53", async () => {
    const rr = await callRoutePoint();
    const refused = await router.request("site-a", { request: "RequestRouteCall", thisDN: "1500", connID: rr.connID, otherDN: "1003", extensions: { INVALID_DEST_ACTION: "vacation" } });
    expect(refused.status).toBe(422);
    expect(refused.event).toMatchObject({ errorCode: 53 });
    expect(refused.event.errorMessage).toContain("none, notready, walkaway, logout");
    await hangUpCaller();
  });

  it("an option change takes effect on the next routing failure, with no restart", async () => {
    expect(shape((await failedRoute({ app: "notready" })).agentEvents)).toEqual(expected.notready);
    expect(shape((await failedRoute({ app: "walkaway" })).agentEvents)).toEqual(expected.walkaway);
  });

  it("a destination back in service routes normally again, and the agent stays in the state the action set", async () => {
    await failedRoute({ app: "walkaway" });
    expect((await sim("/devices/1003/in-service")).status).toBe(200);
    await desktop.waitFor((e) => e.event === "EventDNBackInService", "1003 back in service");
    const rr = await callRoutePoint();
    const routed = await router.request("site-a", { request: "RequestRouteCall", thisDN: "1500", connID: rr.connID, otherDN: "1003" });
    expect(routed.event.event).toBe("EventRouteUsed");
    await desktop.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1003", "EventRinging at 1003");
    const query = await desktop.request("site-a", { request: "RequestQueryAddress", thisDN: "1003" });
    expect(query.event).toMatchObject({ agentState: "NotReady", agentWorkMode: 6, agentID: "agent-7" });
    await sim("/devices/1001/hangup");
  });
});
