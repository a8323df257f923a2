// The simulator's control API: the people at the phones.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { control, sim } from "./helpers.js";

let s: Simulator;
beforeEach(async () => { s = await sim(); });
afterEach(async () => { await s.stop(); });

describe("simulator control API", () => {
  it("lets people place, answer, hold, retrieve and hang up calls", async () => {
    const made = await control(s, "POST", "/clusters/site-a/devices/1001/offhook", { dial: "1002" });
    expect(made.status).toBe(200);
    expect(made.body.calls[0]).toMatchObject({ state: "ESTABLISHED", terminalState: "TALKING", parties: [{ address: "1002", state: "ALERTING", local: true }] });
    expect((await control(s, "POST", "/clusters/site-a/devices/1002/answer")).body.calls[0].state).toBe("ESTABLISHED");
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/hold")).body.calls[0].terminalState).toBe("HELD");
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/hold")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/retrieve")).body.calls[0].terminalState).toBe("TALKING");
    expect((await control(s, "POST", "/clusters/site-a/devices/1002/hangup")).body.calls).toEqual([]);
    expect((await control(s, "GET", "/clusters/site-a/devices/1001")).body).toMatchObject({ dn: "1001", kind: "phone", inService: true, calls: [] });
  });

  it("answers 404 for unknown clusters, devices and routes, 409 for impossible actions, 400 for bad JSON", async () => {
    expect((await control(s, "POST", "/clusters/site-z/devices/1001/answer")).status).toBe(404);
    expect((await control(s, "POST", "/clusters/site-a/devices/9999/answer")).status).toBe(404);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/jump")).status).toBe(404);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/answer")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/hangup")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/offhook", "{bad")).status).toBe(400);
    expect((await control(s, "POST", "/clusters/site-a/devices/1001/offhook", { dial: "abc" })).status).toBe(400);
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/answer")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/123/answer")).status).toBe(404);
  });

  it("unplugs and replugs a phone", async () => {
    expect((await control(s, "POST", "/clusters/site-a/devices/1003/out-of-service")).body.inService).toBe(false);
    expect((await control(s, "POST", "/clusters/site-a/devices/1003/out-of-service")).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/devices/1003/offhook", { dial: "1001" })).status).toBe(409);
    expect((await control(s, "POST", "/clusters/site-a/devices/1003/in-service")).body.inService).toBe(true);
  });

  it("calls across the trunk and to a mobile phone", async () => {
    await control(s, "POST", "/clusters/site-a/devices/1001/offhook", { dial: "2001" });
    expect((await control(s, "GET", "/clusters/site-b/devices/2001")).body.calls[0]).toMatchObject({ state: "ALERTING", callingAddress: "1001" });
    await control(s, "POST", "/clusters/site-b/devices/2001/answer");
    expect((await control(s, "GET", "/clusters/site-a/devices/1001")).body.calls[0].parties[0]).toEqual({ address: "2001", state: "ESTABLISHED", local: false });
    await control(s, "POST", "/clusters/site-a/devices/1001/hangup");
    expect((await control(s, "GET", "/clusters/site-b/devices/2001")).body.calls).toEqual([]);
    await control(s, "POST", "/clusters/site-a/devices/1002/offhook", { dial: "0611000001" });
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/answer")).status).toBe(200);
    expect((await control(s, "POST", "/clusters/site-a/remote-destinations/0611000001/hangup")).status).toBe(200);
    expect((await control(s, "GET", "/clusters/site-a/devices/1002")).body.calls).toEqual([]);
  });
});
