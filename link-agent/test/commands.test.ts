// Commands from the control plane -> switch requests on the right link, and every outcome as a
// `result` event with the T-Library errorCode of the failure.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import type { SwitchOp } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";
import { CommandRunner, errorCodeFor } from "../src/commands.js";
import type { SwitchAnswer, SwitchLinkClient } from "../src/switch-link-client.js";

/** A link client stand-in: records requests and answers them as told. */
function fakeLink(answer: (op: SwitchOp) => SwitchAnswer, up = true) {
  const requests: SwitchOp[] = [];
  const link = { name: "link-1", isUp: up, requestThen: (op: SwitchOp, onAnswer: (a: SwitchAnswer) => void) => { requests.push(op); onAnswer(answer(op)); } };
  return { link: link as unknown as SwitchLinkClient, requests };
}

/** A runner whose link serves the DNs starting with 1. */
function runner(link: SwitchLinkClient | undefined) {
  const out: SwitchEvent[] = [];
  const r = new CommandRunner({ linkFor: (dn) => (dn.startsWith("1") ? link : undefined), emit: (e) => out.push(e), now: () => "t", log: pino({ level: "silent" }) });
  const run = (c: Record<string, unknown> & { id: string; dn: string; op: unknown }) => r.run({ t: "command", ...c });
  return { out, run };
}

describe("commands", () => {
  it("turns each command into its switch request on the DN's link", () => {
    const { link, requests } = fakeLink(() => ({ ok: true, result: {} }));
    const { run } = runner(link);
    run({ id: "1", op: "makeCall", dn: "1001", otherDN: "1002" });
    run({ id: "2", op: "answer", dn: "1002", callId: "c1" });
    run({ id: "3", op: "release", dn: "1001", callId: "c1" });
    run({ id: "4", op: "hold", dn: "1001", callId: "c1" });
    run({ id: "5", op: "retrieve", dn: "1001", callId: "c1" });
    run({ id: "6", op: "routeCall", dn: "1500", callId: "c2", otherDN: "1002" });
    run({ id: "7", op: "initiateTransfer", dn: "1002", callId: "c1", otherDN: "1003" });
    run({ id: "8", op: "completeTransfer", dn: "1002", callId: "c1", consultCallId: "c3" });
    run({ id: "9", op: "alternate", dn: "1002", callId: "c1", consultCallId: "c3" });
    run({ id: "10", op: "initiateConference", dn: "1002", callId: "c1", otherDN: "1003" });
    expect(requests).toEqual([
      { op: "makeCall", from: "1001", to: "1002" },
      { op: "answer", callId: "c1", address: "1002" },
      { op: "disconnect", callId: "c1", address: "1001" },
      { op: "hold", callId: "c1", address: "1001" },
      { op: "unhold", callId: "c1", address: "1001" },
      { op: "redirect", callId: "c2", address: "1500", destination: "1002" },
      { op: "consult", callId: "c1", address: "1002", destination: "1003" },
      { op: "transfer", callId: "c1", consultCallId: "c3", address: "1002" },
      { op: "alternate", callId: "c1", activeCallId: "c3", address: "1002" },
      // Cisco's consult is a conference consult only after setConferenceEnable(true): the bridge needs to know
      { op: "consult", callId: "c1", address: "1002", destination: "1003", conference: true },
    ]);
  });

  it("tells which requests the switch accepted, before their result, and not the refused ones", () => {
    const { link } = fakeLink((op) => (op.op === "singleStepTransfer" && op.destination === "7777" ? { ok: false, error: { exception: "InvalidPartyException", message: "unallocated" } } : { ok: true, result: {} }));
    const seen: string[] = [];
    const r = new CommandRunner({ linkFor: () => link, emit: (e) => seen.push(`result ${(e as { ok: boolean }).ok}`), accepted: (l, op) => seen.push(`accepted ${l} ${op.op}`), now: () => "t", log: pino({ level: "silent" }) });
    r.run({ t: "command", id: "1", op: "singleStepTransfer", dn: "1002", callId: "c1", otherDN: "1004" });
    r.run({ t: "command", id: "2", op: "singleStepTransfer", dn: "1002", callId: "c1", otherDN: "7777" });
    expect(seen).toEqual(["accepted link-1 singleStepTransfer", "result true", "result false"]);
  });

  it("reports success with the call id the switch gave", () => {
    const { link } = fakeLink(() => ({ ok: true, result: { callId: "site-a-1" } }));
    const { out, run } = runner(link);
    run({ id: "cmd-1", op: "makeCall", dn: "1001", otherDN: "1002" });
    expect(out).toEqual([{ kind: "result", time: "t", dn: "1001", commandId: "cmd-1", ok: true, callId: "site-a-1" }]);
  });

  it.each([
    ["InvalidArgumentException", "no device with DN 1099", 53],
    ["InvalidPartyException", "9999 is an unallocated number", 177],
    ["InvalidStateException", "call c1 is not ringing at DN 1002", 51],
    ["MethodNotSupportedException", "not supported", 51],
    // not 1016 (TERR_ISCC_CLIENT_NOT_AUTHORIZED, an inter-site error): the device is out of the user's control list
    ["PrivilegeViolationException", "the user does not control 1001", 58],
    ["ResourceUnavailableException", "DN 1001 is out of service", 58],
    ["ResourceUnavailableException", "DN 1002 is busy", 231],
    ["PlatformException", "CTIManager failure", 52],
    ["Timeout", "the switch did not answer answer within 10 s", 57],
    ["LinkDown", "link-1 went down", 54],
  ])("maps %s (%s) to errorCode %i and keeps the switch's message", (exception, message, code) => {
    expect(errorCodeFor(exception, message)).toBe(code);
    const { link } = fakeLink(() => ({ ok: false, error: { exception, message } as never }));
    const { out, run } = runner(link);
    run({ id: "x", op: "answer", dn: "1002", callId: "c1" });
    expect(out).toEqual([{ kind: "result", time: "t", dn: "1002", commandId: "x", ok: false, errorCode: code, errorMessage: `${exception}: ${message}` }]);
  });

  it("answers commands it cannot carry out: unknown op 51, missing attribute 53, no link for the DN 54, link down 54", () => {
    const { link } = fakeLink(() => ({ ok: true, result: {} }));
    const { out, run } = runner(link);
    run({ id: "a", op: "teleport", dn: "1001" });
    run({ id: "b", op: "answer", dn: "1001" });
    run({ id: "c", op: "makeCall", dn: "1001" });
    run({ id: "d", op: "hold", dn: "1001", callId: 42 });
    run({ id: "e", op: "hold", dn: "2001", callId: "c1" });
    const down = runner(fakeLink(() => ({ ok: true, result: {} }), false).link);
    down.run({ id: "f", op: "hold", dn: "1001", callId: "c1" });
    const results = [...out, ...down.out] as Array<Extract<SwitchEvent, { kind: "result" }>>;
    expect(results.map((r) => [r.commandId, r.ok, r.errorCode])).toEqual([["a", false, 51], ["b", false, 53], ["c", false, 53], ["d", false, 53], ["e", false, 54], ["f", false, 54]]);
    expect(results[0]!.errorMessage).toMatch(/unsupported operation "teleport"/);
    expect(results[1]!.errorMessage).toBe("answer needs callId");
    expect(results[4]!.errorMessage).toBe("no switch link serves DN 2001");
    expect(results[5]!.errorMessage).toBe("link-1, which serves DN 1001, is down");
  });

  it("startMonitor asks for a silent monitor without tone, and setRemoteDestination names the number, name and activation", () => {
    const { link, requests } = fakeLink(() => ({ ok: true, result: {} }));
    const { out, run } = runner(link);
    run({ id: "1", op: "startMonitor", dn: "1002", callId: "c1", otherDN: "1901", monitorType: 1 });
    run({ id: "2", op: "startMonitor", dn: "1002", callId: "c1", otherDN: "1901" });
    run({ id: "3", op: "setRemoteDestination", dn: "1801", otherDN: "0611000001", name: "mobile-1801", active: true });
    run({ id: "4", op: "setRemoteDestination", dn: "1801", otherDN: "0611000001", active: false });
    run({ id: "5", op: "setRemoteDestination", dn: "1801", otherDN: "0611000001" });
    expect(requests).toEqual([
      { op: "startMonitor", callId: "c1", address: "1002", monitor: "1901", monitorType: 1, tone: 3 },
      { op: "startMonitor", callId: "c1", address: "1002", monitor: "1901", monitorType: 1, tone: 3 },
      { op: "setRemoteDestination", address: "1801", number: "0611000001", name: "mobile-1801", active: true },
      { op: "setRemoteDestination", address: "1801", number: "0611000001", active: false },
    ]);
    expect(out.at(-1)).toMatchObject({ commandId: "5", ok: false, errorCode: 53, errorMessage: "setRemoteDestination needs active" });
  });

  it("tells who asked of a started monitor call, before the events it caused", () => {
    const { link } = fakeLink(() => ({ ok: true, result: { callId: "gc2" } }));
    const seen: unknown[] = [];
    const r = new CommandRunner({ linkFor: () => link, emit: (e) => seen.push(e.kind), accepted: (l, op, result) => seen.push([l, op.op, result.callId]), now: () => "t", log: pino({ level: "silent" }) });
    r.run({ t: "command", id: "m", op: "startMonitor", dn: "1002", callId: "gc1", otherDN: "1901" });
    expect(seen).toEqual([["link-1", "startMonitor", "gc2"], "result"]);
  });

  it.each([
    ["InvalidArgumentException", "CTIERR_INVALID_REMOTE_DESTINATION_NUMBER", 53],
    ["InvalidArgumentException", "CTIERR_INVALID_REMOTE_DESTINATION_NAME", 53],
    ["InvalidStateException", "CTIERR_REMOTEDESTINATION_LIMIT_EXCEEDED", 42],
    ["InvalidStateException", undefined, 58],
    ["PlatformException", undefined, 52],
  ])("maps a refused setRemoteDestination (%s %s) to errorCode %i, naming Cisco's error", (exception, errorName, code) => {
    const { link } = fakeLink(() => ({ ok: false, error: { exception, message: "refused", ...(errorName ? { errorName } : {}) } as never }));
    const { out, run } = runner(link);
    run({ id: "x", op: "setRemoteDestination", dn: "1801", otherDN: "0611000001", active: true });
    expect(out).toEqual([{ kind: "result", time: "t", dn: "1801", commandId: "x", ok: false, errorCode: code, errorMessage: errorName ? `${exception} (${errorName}): refused` : `${exception}: refused` }]);
  });

  it("maps the missing built-in bridge and an unextended remote terminal by Cisco's error name", () => {
    expect(errorCodeFor("ResourceUnavailableException", "DN 1002 has no built-in bridge", "CTIERR_BIB_RESOURCE_NOT_AVAILABLE", "startMonitor")).toBe(58);
    expect(errorCodeFor("PlatformException", "no active remote destination", "CTIERR_REMOTE_DEVICE_REQUEST_FAILED_ACTIVE_RD_NOT_SET", "makeCall")).toBe(58);
  });
});
