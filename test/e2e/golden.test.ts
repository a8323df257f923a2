// Golden traces (test/golden/*.json, transcribed from Cisco's guides) end to end: a fake switch speaking
// docs/switch-link.md plays Cisco's events to a real link agent (child process) and the real worker in
// workerd; a client session sends the trace's requests and must get exactly the trace's T-Library events.
// A step with an op and no request is a command the control plane sends of its own, triggered by the step
// before (startMonitor): the fake switch answers it, and only then plays the step's events.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TEvent } from "../../shared/client-api.js";
import type { Snapshot, SwitchOp } from "../../shared/switch-link.js";
import { readSimPlan } from "../../scripts/lib/sim-plan.js";
import { FakeSwitch } from "../../link-agent/test/helpers/fake-switch.js";
import { eventOf, expand, type Golden, type GoldenStep, loadGoldens, snapshotOf } from "../golden/golden.js";
import { ClientSession, type Stack, startStack, waitForLink } from "./harness.js";

const SITE = "site-a";
/** T-Library call (and monitoring) events: a step's must be exactly the trace's, no more. */
const CALL_EVENTS = new Set(["EventDialing", "EventRinging", "EventEstablished", "EventReleased", "EventHeld", "EventRetrieved", "EventPartyChanged", "EventPartyAdded", "EventPartyDeleted", "EventDestinationBusy", "EventRouteRequest", "EventRouteUsed", "EventMonitoringNextCall", "EventMonitoringCancelled"]);

const goldens = loadGoldens();
let stack: Stack;
let sw: FakeSwitch;

beforeAll(async () => {
  stack = await startStack({ startAgents: false });
  sw = await FakeSwitch.start();
  const user = readSimPlan("infra/ucm-sim/config/demo.json").users[SITE]!;
  sw.password = user.password;
  // every address any trace names, as the switch's snapshot lists them
  const addresses = new Map<string, Snapshot["addresses"][number]>();
  for (const g of goldens) for (const a of snapshotOf(g).addresses) addresses.set(a.address, a);
  sw.snapshot = { addresses: [...addresses.values()], calls: [] };
  await stack.startAgent(SITE, { links: [{ name: "link-1", host: "127.0.0.1", port: sw.port, user: user.user, password: user.password }] });
});
afterAll(async () => {
  await stack?.stop();
  await sw?.close();
});

/** The requests the fake switch got, other than snapshots, on every connection so far. */
const switchRequests = () => sw.connections.flatMap((c) => c.received).filter((m) => m.type === "request" && m.op !== "snapshot").length;

const connIdOf = (callId: string) => createHash("sha256").update(`demo/${SITE}/${callId}`).digest("hex").slice(0, 16);

/** A trace's call names ("Call1") as this run's switch call ids, and "$Call1" as their connIDs. */
function ids(g: Golden) {
  const callId = (name: string) => `golden-${g.name}-${name}`;
  const resolve = (v: unknown): unknown => (typeof v === "string" && v.startsWith("$") ? connIdOf(callId(v.slice(1))) : v);
  const op = (o: SwitchOp): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (k === "callId" || k === "consultCallId" || k === "activeCallId") && typeof v === "string" ? callId(v) : v]));
  return { callId, resolve, op };
}

/** Waits until the expected events appeared in order after `mark`; returns the events of the step. */
async function expectStep(s: ClientSession, mark: number, expected: Array<Record<string, unknown>>, resolve: (v: unknown) => unknown, what: string): Promise<void> {
  const want = expected.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, resolve(v)])));
  const matches = (e: TEvent, w: Record<string, unknown>) => Object.entries(w).every(([k, v]) => isDeepStrictEqual(e[k], v));
  const end = Date.now() + 10_000;
  for (;;) {
    const got = s.events.slice(mark);
    let i = 0;
    for (const e of got) if (i < want.length && matches(e, want[i]!)) i++;
    if (i === want.length) break;
    if (Date.now() > end) throw new Error(`${what}: expected ${JSON.stringify(want[i])}; got ${JSON.stringify(got.map((e) => [e.event, e.thisDN, e.connID, e.otherDN, e.thirdPartyDN, e.callState, e.errorCode]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // the call events are exactly the trace's
  const calls = s.events.slice(mark).filter((e) => CALL_EVENTS.has(e.event));
  expect(calls.length, `${what}: call events ${JSON.stringify(calls.map((e) => [e.event, e.thisDN]))}`).toBe(want.filter((w) => CALL_EVENTS.has(w.event as string)).length);
}

describe("golden traces end to end (fake switch -> link agent -> worker -> client)", () => {
  for (const g of goldens) {
    it(`${g.name}`, async () => {
      const { callId, resolve, op: mapOp } = ids(g);
      const s = await ClientSession.open(stack.client());
      await s.register(SITE, ...g.addresses.map((a) => a.address));
      /** The switch's side of a step's `op`: its answer, and the requests it saw; with `withEvents`, the step's events follow the answer. */
      const arm = (step: GoldenStep, withEvents: boolean, hold = false) => {
        const seen: unknown[] = [];
        const opName = step.op!.op;
        if (sw.answers[opName]) throw new Error(`golden ${g.name}: "${step.what}": two steps wait for ${opName} at once`);
        if (hold) sw.heldOps.add(opName);
        const events = () => expand(g, step.switch ?? []).map((line) => eventOf(g, line, callId));
        sw.answers[opName] = (req) => {
          seen.push(req);
          const answer = step.answer ?? { ok: true, result: {} };
          if (answer.ok && typeof answer.result?.callId === "string") return { ok: true, result: { ...answer.result, callId: callId(answer.result.callId) } };
          return answer;
        };
        if (withEvents) sw.eventsAfter[opName] = () => ((step.answer?.ok ?? true) ? events() : []);
        return {
          seen,
          release: () => sw.release(opName),
          disarm: () => {
            sw.heldOps.delete(opName);
            delete sw.answers[opName];
            delete sw.eventsAfter[opName];
          },
          check: () => expect(seen.map((r) => { const { type: _t, id: _i, ...rest } = r as Record<string, unknown>; return rest; }), `${step.what}: the switch request`).toEqual([mapOp(step.op!)]),
        };
      };
      let command: ReturnType<typeof arm> | undefined;
      for (const [i, step] of g.steps.entries()) {
        const mark = s.events.length;
        const events = () => expand(g, step.switch ?? []).map((line) => eventOf(g, line, callId));
        // a command the control plane sends of its own (op, no request) is triggered by this step's events:
        // the switch must be ready for it before they are sent; its answer is held until that step, so
        // what the answer causes (a refusal's EventMonitoringCancelled) is not taken for this step's
        const next = g.steps[i + 1];
        const nextCommand = next?.op && !next.request ? arm(next, false, true) : undefined;
        if (step.failover) {
          sw.snapshot = { ...sw.snapshot, calls: step.failover.calls.map((c) => ({ ...c, callId: callId(c.callId) })) };
          sw.dropAll();
          await s.waitFor((e) => e.event === "EventLinkDisconnected" && s.events.indexOf(e) >= mark, `${step.what}: link down`);
          await waitForLink(stack.api, stack.keys.client, SITE, true);
          sw.snapshot = { ...sw.snapshot, calls: [] };
        }
        if (step.request) {
          const armed = step.op ? arm(step, true) : undefined;
          const before = switchRequests();
          const request = Object.fromEntries(Object.entries(step.request).map(([k, v]) => [k, resolve(v)]));
          await s.request(SITE, request as Parameters<ClientSession["request"]>[1]);
          armed?.disarm();
          armed?.check();
          // a request the control plane answers alone asks nothing of the switch
          if (!armed) expect(switchRequests(), `${step.what}: no switch request`).toBe(before);
          if (step.answer && !step.answer.ok && step.switch?.length) sw.events(events());
        } else if (step.op) {
          if (!command) throw new Error(`golden ${g.name}: "${step.what}" is a command with no step before it to trigger it`);
          // the command arrives (the answer went back at once); then the switch sends the events it caused
          const end = Date.now() + 10_000;
          while (command.seen.length === 0) {
            if (Date.now() > end) throw new Error(`${step.what}: the switch got no ${step.op.op}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          command.release();
          command.disarm();
          command.check();
          if (step.switch?.length) sw.events(events());
        } else if (step.switch?.length) {
          sw.events(events());
        }
        command = nextCommand;
        await expectStep(s, mark, step.tlib, resolve, step.what);
      }
      await s.close();
    });
  }
});
