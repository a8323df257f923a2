// A client disconnect: a session whose socket closed ends after client-disconnect-grace, and its DNs forget it.
import { describe, expect, it } from "vitest";
import { api, EventStream, provision } from "./helpers.js";

describe("client disconnect", () => {
  it("ends the session once the grace has passed (0: at once), unregistering its DNs; a new grace applies to the next disconnect", async () => {
    const p = await provision("grace", ["site-a"], { "site-a": [{ number: "1001" }] });
    expect((await api("PUT", "/v1/sites/site-a/options/TServer", p.config, { "client-disconnect-grace": "0" })).status).toBe(200);
    const { sessionId } = (await api("POST", "/v1/sessions", p.client, {})).body;
    await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestRegisterAddress", thisDN: "1001" });
    const stream = await EventStream.open(sessionId, p.client, 0);
    await stream.waitFor(1);
    await stream.close();
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      status = (await api("GET", `/v1/sessions/${sessionId}`, p.client)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(404);
    // the DN no longer delivers to it: a second session sees itself alone
    const other = (await api("POST", "/v1/sessions", p.client, {})).body.sessionId;
    await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId: other, request: "RequestRegisterAddress", thisDN: "1001" });
    expect((await api("POST", "/v1/sites/site-a/requests", p.client, { sessionId, request: "RequestQueryAddress", thisDN: "1001" })).status).toBe(404);

    // with a grace of 60 s, a closed socket leaves the session alive, and a reconnect replays
    await api("PUT", "/v1/sites/site-a/options/TServer", p.config, { "client-disconnect-grace": "60" });
    const s2 = await EventStream.open(other, p.client, 0);
    await s2.waitFor(1);
    await s2.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await api("GET", `/v1/sessions/${other}`, p.client)).status).toBe(200);
    const again = await EventStream.open(other, p.client, 0);
    expect((await again.waitFor(1))[0]).toMatchObject({ event: "EventRegistered", seq: 1 });
    await again.close();
  });
});
