// High availability (issue 10, point 5) with two real link agent processes for site-a: the primary's
// uplink closes (the process dies) -> the backup is active within 2 s; the active agent hangs (socket
// alive, no traffic: SIGSTOP) -> the other one is active within 15 s. Remote terminal 1801 goes out of
// service and back with its remote extensions and the same owner, re-extended through the new agent;
// the call in progress keeps its connID and stays controllable; the client's stream has no gap and no duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => {
  for (const name of ["site-a", "site-a-backup"]) stack?.agents[name]?.proc.kill("SIGCONT");
  await stack?.stop();
});

const EXT_1 = { REMOTE_DEST: "0611000001", REMOTE_NAME: "mobile-1801" };

async function siteStatus(): Promise<{ activeAgent: string | null; agents: Array<{ agentId: string }> }> {
  const res = await fetch(`${stack.api}/v1/sites/site-a`, { headers: { authorization: `Bearer ${stack.keys.client}` } });
  return (await res.json()) as { activeAgent: string | null; agents: Array<{ agentId: string }> };
}

/** Polls the site until `check` holds; returns how long it took. */
async function until(check: (s: Awaited<ReturnType<typeof siteStatus>>) => boolean, what: string, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (check(await siteStatus())) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what} not within ${ms} ms: ${JSON.stringify(await siteStatus())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("primary and backup link agents", () => {
  it("switches over on a closed uplink within 2 s and on a hung agent within 15 s, keeping the remote terminal's owner and the calls' connIDs", async () => {
    await stack.startAgent("site-a", { role: "backup", waitForLink: false });
    await until((s) => s.agents.length === 2 && s.activeAgent === "site-a-primary", "the backup connected as standby", 15_000);

    const owner = await ClientSession.open(stack.client());
    await owner.register("site-a", "1001", "1002");
    await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: EXT_1 });
    await owner.waitFor((e) => e.event === "EventDNBackInService" && e.thisDN === "1801", "1801 extended");
    const dialing = await owner.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    const connID = dialing.event.connID!;
    await owner.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "ringing at 1002");
    await owner.request("site-a", { request: "RequestAnswerCall", thisDN: "1002" });
    await owner.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "the call established");

    // 1. the primary's uplink closes: the backup is active within 2 s
    let n = owner.events.length;
    // measured from the kill, not from the harness seeing the process exit
    const killedAt = Date.now();
    await stack.agents["site-a"]!.stop("SIGKILL");
    await until((s) => s.activeAgent === "site-a-backup", "the backup active", 2_000 - (Date.now() - killedAt));
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2_000);
    await owner.waitFor((e) => owner.events.indexOf(e) >= n && e.event === "EventDNBackInService" && e.thisDN === "1801", "1801 back in service through the backup", 10_000);
    expect(owner.events.slice(n).map((e) => [e.event, e.thisDN, e.extensions ?? null])).toEqual([
      ["EventDNOutOfService", "1801", null],
      ["EventDNBackInService", "1801", EXT_1],
    ]);
    // the call is controllable through the backup, under its connID
    expect((await owner.request("site-a", { request: "RequestHoldCall", thisDN: "1001", connID })).event).toMatchObject({ event: "EventHeld", thisDN: "1001", connID });

    // 2. the active agent hangs (alive socket, no traffic): the restarted primary takes over within 15 s
    await stack.startAgent("site-a", { waitForLink: false });
    await until((s) => s.agents.length === 2, "the primary back as standby", 15_000);
    n = owner.events.length;
    stack.agents["site-a-backup"]!.proc.kill("SIGSTOP");
    const hungMs = await until((s) => s.activeAgent === "site-a-primary", "the primary active again", 15_000);
    expect(hungMs).toBeLessThanOrEqual(15_000);
    await owner.waitFor((e) => owner.events.indexOf(e) >= n && e.event === "EventDNBackInService" && e.thisDN === "1801", "1801 back in service through the primary", 10_000);
    expect(owner.events.slice(n).map((e) => [e.event, e.thisDN, e.extensions ?? null])).toEqual([
      ["EventDNOutOfService", "1801", null],
      ["EventDNBackInService", "1801", EXT_1],
    ]);

    // the call survived both switchovers under its connID and is still controllable, through the primary again
    expect((await owner.request("site-a", { request: "RequestRetrieveCall", thisDN: "1001", connID })).event).toMatchObject({ event: "EventRetrieved", thisDN: "1001", connID });
    const released = await owner.request("site-a", { request: "RequestReleaseCall", thisDN: "1001", connID });
    expect(released.event).toMatchObject({ event: "EventReleased", thisDN: "1001", connID });
    await owner.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002", "released at 1002");
    const ofCall = owner.events.filter((e) => e.connID === connID).map((e) => [e.event, e.thisDN]);
    expect(ofCall).toEqual([
      ["EventDialing", "1001"], ["EventRinging", "1002"], ["EventEstablished", "1002"], ["EventEstablished", "1001"],
      ["EventHeld", "1001"], ["EventRetrieved", "1001"], ["EventReleased", "1001"], ["EventReleased", "1002"],
    ]);
    // no gap, no duplicate; the sessions never saw the link go down
    expect(owner.events.map((e) => e.seq)).toEqual(owner.events.map((_, i) => i + 1));
    expect(owner.events.filter((e) => e.event === "EventLinkDisconnected")).toEqual([]);
    // the owner is still the owner: its unregister deactivates
    expect((await stack.simControl("GET", "/clusters/site-a/devices/1801")).body.activeRemoteDestination).toBe(EXT_1.REMOTE_DEST);
    await owner.request("site-a", { request: "RequestUnregisterAddress", thisDN: "1801" });
    for (let end = Date.now() + 5_000; (await stack.simControl("GET", "/clusters/site-a/devices/1801")).body.activeRemoteDestination !== null;) {
      if (Date.now() > end) throw new Error("1801 still extended at the switch after its owner unregistered");
      await new Promise((r) => setTimeout(r, 50));
    }
    await owner.close();
  });

  it("a hung agent that wakes up after it was replaced does not carry out the commands it received while hung", async () => {
    // the backup, left hung by the test above, wakes and comes back as the standby
    stack.agents["site-a-backup"]!.proc.kill("SIGCONT");
    await until((s) => s.agents.length === 2 && s.activeAgent === "site-a-primary", "the backup back as standby", 15_000);
    const s = await ClientSession.open(stack.client());
    await s.register("site-a", "1003", "1004");
    stack.agents["site-a"]!.proc.kill("SIGSTOP");
    // sent to the hung primary: the request fails (54 at the switchover, or 57), so the call must never happen
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1003", otherDN: "1004" });
    expect(made.event.event).toBe("EventError");
    expect([54, 57]).toContain(made.event.errorCode);
    await until((st) => st.activeAgent === "site-a-backup", "the backup active", 15_000);
    stack.agents["site-a"]!.proc.kill("SIGCONT");
    // back as the standby: it has read (and must have dropped) what was waiting on its old socket
    await until((st) => st.agents.length === 2, "the primary back as standby", 15_000);
    expect((await stack.simControl("GET", "/clusters/site-a/devices/1003")).body.calls).toEqual([]);
    expect((await stack.simControl("GET", "/clusters/site-a/devices/1004")).body.calls).toEqual([]);
    expect(s.events.filter((e) => e.thisDN === "1003" || e.thisDN === "1004").map((e) => e.event)).toEqual(["EventRegistered", "EventRegistered", "EventError"]);
    await s.close();
  });
});
