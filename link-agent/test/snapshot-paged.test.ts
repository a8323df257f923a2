// A link to a cluster whose snapshot is beyond one switch-link frame (1 MiB) comes up: the agent joins
// the pages into one snapshot, then takes events (issue 13: such a link reconnected forever).
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { JtapiEvent, Snapshot } from "../../shared/switch-link.js";
import { startSimulator, type Simulator } from "../../infra/ucm-sim/src/index.js";
import { SwitchLinkClient } from "../src/switch-link-client.js";
import { until } from "./helpers/wait.js";

const dns = Array.from({ length: 12_000 }, (_, i) => String(200000 + i));
let s: Simulator | undefined;
let client: SwitchLinkClient | undefined;
afterEach(async () => { client?.stop(); await s?.stop(); s = client = undefined; });

describe("a switch link with a paged snapshot", () => {
  it("comes up with all 12,000 addresses and the calls, once, then takes the events that follow", async () => {
    s = await startSimulator({ config: { clusters: [{ name: "big", numberPrefixes: ["2"], users: [{ user: "tserver", password: "pw" }], devices: dns.map((dn) => ({ dn, kind: "phone" })) }] } });
    const call = s.cluster("big").originate(dns[0]!, dns[1]!, "cti");
    const seen = { ups: [] as Snapshot[], events: [] as JtapiEvent[], downs: [] as string[] };
    client = new SwitchLinkClient("link-1", {
      user: "tserver", password: "pw", application: "test", connect: SwitchLinkClient.tcp("127.0.0.1", s.clusters.big!.linkPort), log: pino({ level: "silent" }),
      handlers: { onUp: (snap) => seen.ups.push(snap), onEvents: (e) => seen.events.push(...e), onDown: (r) => seen.downs.push(r) },
    });
    client.start();
    await until(() => seen.ups.length === 1, "link up", 10_000);
    expect(seen.ups[0]!.addresses.map((a) => a.address)).toEqual(dns);
    expect(seen.ups[0]!.calls.map((c) => c.callId)).toEqual([call.id]);
    s.cluster("big").answer(call.id, dns[1]!);
    await until(() => seen.events.some((e) => e.id === "CallCtlConnEstablishedEv" && e.address === dns[1]), "the answer's events");
    expect(seen.downs).toEqual([]);
  });
});
