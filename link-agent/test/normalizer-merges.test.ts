// Consult transfer and conference read in any documented order: Cisco's (JDG Table 8: the consulted
// party appears in the final call before the consult call is cleared), the reverse, and without a
// bracket when the agent's own request was accepted. The facts are the same each time.
import { describe, expect, it } from "vitest";
import type { JtapiEvent } from "../../shared/switch-link.js";
import type { SwitchEvent } from "../../shared/uplink.js";
import { Normalizer } from "../src/normalizer.js";
import { call, phones, T } from "./helpers/jtapi.js";

function rig() {
  const normalizer = new Normalizer();
  const out: SwitchEvent[] = [];
  normalizer.snapshot("link-1", { addresses: phones("1001", "1002", "1003", "1004"), calls: [] }, T);
  const feed = (events: JtapiEvent[]) => { for (const e of events) normalizer.apply("link-1", e, (ev) => out.push(ev)); };
  // A (1001) calls B (1002), B answers and consults C (1003), who answers
  const c1 = call("Call1", "1001", "1002", ["1001", "1002", "1003"]);
  const c2 = call("Call2", "1002", "1003", ["1001", "1002", "1003"]);
  feed([...c1.placed("1001"), ...c1.dials("1001"), ...c1.rings("1002"), ...c1.answers("1002"), ...c1.holds("1002")]);
  feed([...c2.placed("1002"), ...c2.dials("1002"), ...c2.rings("1003"), ...c2.answers("1003")]);
  out.length = 0;
  return { normalizer, out, feed, c1, c2 };
}

const ctl = (cause: number) => (e: JtapiEvent): JtapiEvent => (e.id.startsWith("CallCtl") ? { ...e, cause } : e);
const dropped = (c: ReturnType<typeof call>, dn: string, cause: number) =>
  [c.ev("TermConnDroppedEv", dn), c.ev("CallCtlTermConnDroppedEv", dn), c.ev("ConnDisconnectedEv", dn), c.ev("CallCtlConnDisconnectedEv", dn)].map(ctl(cause));
const appears = (c: ReturnType<typeof call>, dn: string, cause: number) =>
  [c.ev("ConnCreatedEv", dn), c.ev("ConnConnectedEv", dn), c.ev("CallCtlConnEstablishedEv", dn), c.ev("TermConnCreatedEv", dn), c.ev("TermConnActiveEv", dn), c.ev("CallCtlTermConnTalkingEv", dn)].map(ctl(cause));

const TRANSFERRED: SwitchEvent[] = [
  { kind: "released", time: T, dn: "1002", callId: "Call1", cause: "transferred" },
  { kind: "partyChanged", time: T, dn: "1003", callId: "Call1", previousCallId: "Call2", otherDN: "1001", thirdPartyDN: "1002" },
  { kind: "released", time: T, dn: "1002", callId: "Call2", cause: "transferred" },
  { kind: "partyChanged", time: T, dn: "1001", callId: "Call1", otherDN: "1003", thirdPartyDN: "1002" },
];
const sorted = (facts: SwitchEvent[]) => [...facts].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

describe("normalizer: consult transfer in any order", () => {
  it("Cisco's order (JDG Table 8)", () => {
    const { out, feed, c1, c2 } = rig();
    feed([
      c1.ev("CiscoTransferStartEv", "1002", { transferredCallId: "Call2" }),
      ...dropped(c1, "1002", 212), ...appears(c1, "1003", 212),
      ...dropped(c2, "1002", 212), ...dropped(c2, "1003", 212), c2.ev("CallInvalidEv"),
      c1.ev("CiscoTransferEndEv", "1002", { transferredCallId: "Call2" }),
    ]);
    expect(out).toEqual(TRANSFERRED);
  });

  it("the reverse order (consult call cleared first), and causes 100 on every event", () => {
    const { out, feed, c1, c2 } = rig();
    feed([
      c1.ev("CiscoTransferStartEv", "1002", { transferredCallId: "Call2" }),
      ...dropped(c2, "1002", 100), ...dropped(c2, "1003", 100), c2.ev("CallInvalidEv"),
      ...appears(c1, "1003", 100), ...dropped(c1, "1002", 100),
      c1.ev("CiscoTransferEndEv", "1002", { transferredCallId: "Call2" }),
    ]);
    expect(sorted(out)).toEqual(sorted(TRANSFERRED));
    // the consulted party moved before the remaining party heard of it
    expect(out.at(-1)).toEqual(TRANSFERRED[3]);
  });

  it("no bracket at all: the agent's accepted transfer(Call) opens the context, the consult call's end closes it", () => {
    const { normalizer, out, feed, c1, c2 } = rig();
    normalizer.switchAccepted("link-1", { op: "transfer", callId: "Call1", consultCallId: "Call2", address: "1002" });
    feed([...dropped(c1, "1002", 212), ...appears(c1, "1003", 212), ...dropped(c2, "1002", 212), ...dropped(c2, "1003", 212), c2.ev("CallInvalidEv")]);
    expect(out).toEqual(TRANSFERRED);
  });

  it("the End event settles what the switch left out: the controller's consult leg, the consulted party's drop", () => {
    const { out, feed, c1 } = rig();
    feed([
      c1.ev("CiscoTransferStartEv", "1002", { transferredCallId: "Call2" }),
      ...dropped(c1, "1002", 212), ...appears(c1, "1003", 212),
      c1.ev("CiscoTransferEndEv", "1002", { transferredCallId: "Call2" }),
    ]);
    expect(sorted(out)).toEqual(sorted(TRANSFERRED));
    out.length = 0;
    // and the transferred call goes on and ends normally for both
    feed(call("Call1", "1001", "1003", ["1001", "1003"]).clears("1003", "1001"));
    expect(out.map((e) => [e.kind, (e as { dn: string }).dn])).toEqual([["released", "1003"], ["released", "1001"]]);
  });

  it("a party that hangs up during the bracket (another meta code) is an ordinary release", () => {
    const { out, feed, c1, c2 } = rig();
    feed([
      c1.ev("CiscoTransferStartEv", "1002", { transferredCallId: "Call2" }),
      c2.ev("ConnDisconnectedEv", "1003", { metaCode: 132 }),
    ]);
    expect(out).toEqual([{ kind: "released", time: T, dn: "1003", callId: "Call2", cause: "normal" }]);
  });
});

describe("normalizer: conference", () => {
  const CONFERENCED: SwitchEvent[] = [
    { kind: "retrieved", time: T, dn: "1002", callId: "Call1" },
    { kind: "partyChanged", time: T, dn: "1003", callId: "Call1", previousCallId: "Call2", otherDN: "1002", thirdPartyDN: "1002", conferenced: true },
    { kind: "released", time: T, dn: "1002", callId: "Call2", cause: "conferenced" },
    { kind: "partyAdded", time: T, dn: "1001", callId: "Call1", otherDN: "1003", thirdPartyDN: "1002" },
    { kind: "partyAdded", time: T, dn: "1002", callId: "Call1", otherDN: "1003", thirdPartyDN: "1002" },
    { kind: "partyAdded", time: T, dn: "1003", callId: "Call1", otherDN: "1001", thirdPartyDN: "1002" },
  ];

  it("Cisco's order: the consulted party moves (ConferencedBy), everyone hears of the new party, the new party of the others", () => {
    const { out, feed, c1, c2 } = rig();
    feed([
      c1.ev("CiscoConferenceStartEv", "1002", { transferredCallId: "Call2" }),
      c1.ev("CallCtlTermConnTalkingEv", "1002", { cause: 207 }), ...appears(c1, "1003", 207),
      ...dropped(c2, "1002", 207), ...dropped(c2, "1003", 207), c2.ev("CallInvalidEv"),
      c1.ev("CiscoConferenceEndEv", "1002", { transferredCallId: "Call2" }),
    ]);
    expect(out).toEqual(CONFERENCED);
  });

  it("the reverse order gives the same facts", () => {
    const { out, feed, c1, c2 } = rig();
    feed([
      c1.ev("CiscoConferenceStartEv", "1002", { transferredCallId: "Call2" }),
      ...dropped(c2, "1002", 100), ...dropped(c2, "1003", 100), c2.ev("CallInvalidEv"),
      ...appears(c1, "1003", 100), c1.ev("CallCtlTermConnTalkingEv", "1002", { cause: 207 }),
      c1.ev("CiscoConferenceEndEv", "1002", { transferredCallId: "Call2" }),
    ]);
    expect(sorted(out)).toEqual(sorted(CONFERENCED));
  });
});
