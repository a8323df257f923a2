// Silent monitoring on one site: a CTI port (Extension, switch-specific type 2) listens to an agent's
// next call through the phone's built-in bridge, and only that one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack } from "./harness.js";

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const sim = (path: string, body?: unknown) => stack.simControl("POST", `/clusters/site-a${path}`, body);

async function answeredCallTo1002(agent: ClientSession): Promise<void> {
  const seen = agent.events.length;
  await sim("/devices/1001/offhook", { dial: "1002" });
  await sim("/devices/1002/answer");
  await agent.waitFor((e) => e.event === "EventEstablished" && agent.events.indexOf(e) >= seen, "the agent's call established");
}
async function hangUp(agent: ClientSession): Promise<void> {
  const seen = agent.events.length;
  await sim("/devices/1001/hangup");
  await agent.waitFor((e) => e.event === "EventReleased" && agent.events.indexOf(e) >= seen, "the agent's call released");
}

describe("silent monitoring", () => {
  it("the monitoring DN hears the agent's next call established, and only that one", async () => {
    const supervisor = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    await supervisor.register("site-a", "1901");
    await agent.register("site-a", "1002");

    const armed = await supervisor.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1901", otherDN: "1002" });
    expect(armed.event).toMatchObject({ event: "EventMonitoringNextCall", thisDN: "1901", otherDN: "1002", monitorNextCallType: 0 });

    await answeredCallTo1002(agent);
    const established = await supervisor.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1901", "EventEstablished at the CTI port");
    expect(established).toMatchObject({ otherDN: "1002", thisDNRole: 10 });
    const added = await agent.waitFor((e) => e.event === "EventPartyAdded", "EventPartyAdded at the agent");
    expect(added).toMatchObject({ thisDN: "1002", otherDN: "1901", otherDNRole: 10 });

    await hangUp(agent);
    await supervisor.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1901", "the monitor call ends with the call");

    // MonitorOneCall: the next call is not monitored
    await answeredCallTo1002(agent);
    await new Promise((r) => setTimeout(r, 300));
    await hangUp(agent);
    expect(supervisor.trail()).toEqual([
      ["EventRegistered", "1901"], ["EventMonitoringNextCall", "1901"], ["EventEstablished", "1901"], ["EventReleased", "1901"],
    ]);
    expect(agent.trail().filter(([e]) => e === "EventPartyAdded")).toHaveLength(1);
    await supervisor.close();
    await agent.close();
  });

  it("RequestCancelMonitoring disarms it; cancelling nothing is refused", async () => {
    const supervisor = await ClientSession.open(stack.client());
    const agent = await ClientSession.open(stack.client());
    await supervisor.register("site-a", "1902");
    await agent.register("site-a", "1002");
    expect((await supervisor.request("site-a", { request: "RequestCancelMonitoring", thisDN: "1902", otherDN: "1002" })).event.errorCode).toBe(43);
    await supervisor.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1902", otherDN: "1002" });
    const cancelled = await supervisor.request("site-a", { request: "RequestCancelMonitoring", thisDN: "1902", otherDN: "1002" });
    expect(cancelled.event).toMatchObject({ event: "EventMonitoringCancelled", thisDN: "1902", otherDN: "1002" });
    await answeredCallTo1002(agent);
    await new Promise((r) => setTimeout(r, 300));
    await hangUp(agent);
    expect(supervisor.trail()).toEqual([["EventRegistered", "1902"], ["EventError", "1902"], ["EventMonitoringNextCall", "1902"], ["EventMonitoringCancelled", "1902"]]);
    expect((await supervisor.request("site-a", { request: "RequestMonitorNextCall", thisDN: "1902" })).event.errorCode).toBe(53);
    await supervisor.close();
    await agent.close();
  });
});
