// Fuzzing of every parser a peer can reach (issue 12), against the running system: the client API
// (paths, bodies, keys), the uplink (frames from a link agent), the switch-link server, and the
// simulator's TFTP and CAPF servers. Every case counts: a 5xx, a hang (no answer within HANG_MS) or a
// server that stops answering is a defect. At the end one real call must still work.
// Used by `npm run fuzz -- --runs N` (scripts/fuzz.ts) and, with a few hundred cases, by test/e2e/fuzz.test.ts.
import fc from "fast-check";
import net from "node:net";
import tls from "node:tls";
import dgram from "node:dgram";
import { WebSocket } from "undici";
import { encodeFrame, FrameDecoder } from "../../shared/node/framing.js";
import { tftpGet } from "../../link-agent/src/tls/tftp-client.js";
import { TRUST_FILE } from "../../infra/ucm-sim/src/index.js";
import { RequestNames } from "../../shared/tlib.js";
import { ClientSession, type Stack } from "../e2e/harness.js";
import { readSimPlan } from "../../scripts/lib/sim-plan.js";

const HANG_MS = 5000;
/** DNs the fuzzer may act on; 1001 and 1002 are kept for the call that must still work afterwards. */
const FUZZ_DNS = ["1003", "1004", "1500", "1901"];

export interface TargetResult { target: string; cases: number; fivexx: number; hangs: number; other: number; examples: string[] }

function result(target: string): TargetResult {
  return { target, cases: 0, fivexx: 0, hangs: 0, other: 0, examples: [] };
}
const note = (r: TargetResult, kind: "fivexx" | "hangs" | "other", example: string) => {
  r[kind]++;
  if (r.examples.length < 5) r.examples.push(example.slice(0, 300));
};

const withTimeout = <T>(p: Promise<T>, ms = HANG_MS): Promise<T | "timeout"> =>
  Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref())]);

// ---- arbitraries ----
const nasty = fc.constantFrom("__proto__", "constructor", "prototype", "..", "%2e%2e", "%00", "a".repeat(300), "", " ", "-1", "1e309", "null", "undefined", "[]", "{}", "\u0000", "😀", "site-a", "1001");
const segment = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.stringMatching(/^[a-z0-9-]{1,12}$/));
const deep = fc.integer({ min: 1, max: 4000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const kv = fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), nasty), fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })), { maxKeys: 6 });
const tlibRequest = (sessionId: string) => fc.record({
  sessionId: fc.oneof(fc.constant(sessionId), segment),
  request: fc.oneof(fc.constantFrom(...RequestNames), fc.string({ maxLength: 30 })),
  thisDN: fc.oneof(fc.constantFrom(...FUZZ_DNS), segment),
  otherDN: fc.oneof(fc.constantFrom(...FUZZ_DNS, "1003"), segment),
  connID: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), segment),
  referenceID: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })),
  userData: kv, extensions: kv, reasons: kv,
  agentWorkMode: fc.integer({ min: -5, max: 10 }),
}, { requiredKeys: ["request"] });
const body = (sessionId: string) => fc.oneof(
  tlibRequest(sessionId).map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 6 }),
  fc.string({ maxLength: 200 }),
  deep,
  kv.map((o) => JSON.stringify(o)),
  fc.constant('{"__proto__":{"polluted":true}}'),
  fc.constant("{\"a\":"),
);

const ROUTES: Array<[string, string]> = [
  ["POST", "/v1/sessions"], ["GET", "/v1/sessions/:s"], ["DELETE", "/v1/sessions/:x"], ["GET", "/v1/sessions/:s/events"],
  ["POST", "/v1/sites/:site/requests"], ["GET", "/v1/sites/:site"], ["GET", "/v1/sites/:site/options/:section"],
  ["PUT", "/v1/sites/:site/options/:section"], ["GET", "/v1/sites/:site/dns"], ["GET", "/v1/sites/:site/dns/:x"],
  ["PUT", "/v1/sites/:site/dns/:x"], ["DELETE", "/v1/sites/:site/dns/:x"], ["GET", "/v1/sites/:site/link"],
  ["PUT", "/v1/tenants/:x"], ["PUT", "/v1/tenants/:x/sites/:x"], ["POST", "/v1/tenants/:x/keys"], ["GET", "/v1/tenants/:x/keys"],
  ["DELETE", "/v1/tenants/:x/keys/:x"], ["GET", "/"], ["GET", "/v1/openapi.json"], ["PATCH", "/v1/:x"],
];

// ---- targets ----

/** The client API: routes with fuzzed segments, bodies and keys. Keys never include the admin token (nothing gets revoked). */
export async function fuzzApi(stack: Stack, runs: number, seed?: number): Promise<TargetResult> {
  const r = result("client API");
  const { sessionId } = await stack.client().createSession();
  const keys = [stack.keys.client, stack.keys.config, stack.keys.link["site-a"]!, "", "x", "demo.nokey.nosecret", "other.k.s"];
  const sectionOrSeg = fc.oneof(fc.constantFrom("TServer", "link-tls", "link-1", "link-N"), segment);
  const cases = fc.record({
    route: fc.constantFrom(...ROUTES),
    site: fc.oneof(fc.constant("site-a"), segment),
    section: sectionOrSeg,
    x: segment.filter((s) => !["1001", "1002"].includes(s)), // the DNs kept for the final call are not deleted
    key: fc.constantFrom(...keys),
    body: body(sessionId),
    query: fc.oneof(fc.constant(""), fc.constant("?after=-1"), fc.constant("?access_token=x"), segment.map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`)),
  });
  await fc.assert(fc.asyncProperty(cases, async (c) => {
    r.cases++;
    const [method, template] = c.route;
    const path = template.replace(":site", encodeURIComponent(c.site)).replace(":section", encodeURIComponent(c.section)).replace(":s", sessionId).replace(/:x/g, encodeURIComponent(c.x));
    const init: RequestInit = { method, headers: { authorization: `Bearer ${c.key}`, "content-type": "application/json" } };
    if (method !== "GET" && method !== "DELETE") init.body = c.body;
    const answer = await withTimeout(fetch(`${stack.api}${path}${c.query}`, { ...init, signal: AbortSignal.timeout(HANG_MS + 1000) }).then(async (res) => { await res.arrayBuffer(); return res.status; }).catch((e: Error) => `error ${e.message}`));
    const what = `${method} ${path}${c.query} ${String(init.body ?? "").slice(0, 120)}`;
    if (answer === "timeout") note(r, "hangs", what);
    else if (typeof answer === "string") note(r, "other", `${answer}: ${what}`);
    else if (answer >= 500) note(r, "fivexx", `${answer}: ${what}`);
    return true;
  }), { numRuns: runs, seed, endOnFailure: true });
  return r;
}

/** The uplink: a second (standby) agent sending fuzzed frames; the Site must keep answering pings. */
export async function fuzzUplink(stack: Stack, runs: number, seed?: number): Promise<TargetResult> {
  const r = result("uplink frames");
  const url = `${stack.api.replace(/^http/, "ws")}/v1/sites/site-a/link`;
  let ws: WebSocket | null = null;
  const open = async () => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${stack.keys.link["site-a"]}` } } as unknown as string[]);
    await new Promise<void>((resolve, reject) => { socket.addEventListener("open", () => resolve()); socket.addEventListener("error", () => reject(new Error("uplink did not open"))); });
    socket.send(JSON.stringify({ t: "hello", protocol: 1, agentId: "fuzz-agent", stream: `fuzz-${Date.now()}`, role: "backup", links: [] }));
    ws = socket;
  };
  const pinged = async () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) await open();
    const socket = ws!;
    const pong = new Promise<boolean>((resolve) => {
      socket.addEventListener("message", (m) => { if (m.data === "pong") resolve(true); });
      socket.addEventListener("close", () => resolve(false));
    });
    socket.send("ping");
    return (await withTimeout(pong)) === true;
  };
  // the Site may have closed the socket for the last frame (a sequence gap, a protocol version): a
  // fresh socket must answer, or the Site hangs
  const alive = async () => (await pinged().catch(() => false)) || (await pinged().catch(() => false));
  const event = fc.record({
    kind: fc.oneof(fc.constantFrom("link", "snapshot", "service", "dialing", "ringing", "established", "held", "released", "result", "partyChanged"), fc.string({ maxLength: 10 })),
    time: fc.oneof(fc.constant(new Date().toISOString()), fc.string({ maxLength: 10 })),
    dn: fc.oneof(fc.constantFrom(...FUZZ_DNS), segment), callId: segment, link: segment, up: fc.boolean(),
    cause: fc.string({ maxLength: 10 }), commandId: segment, ok: fc.boolean(), callType: fc.integer({ min: -2, max: 9 }),
    dns: fc.array(fc.record({ dn: segment, kind: fc.string({ maxLength: 8 }), inService: fc.boolean(), calls: fc.array(fc.json(), { maxLength: 2 }) }), { maxLength: 3 }),
  }, { requiredKeys: ["kind"] });
  const frame = fc.oneof(
    fc.record({ t: fc.constant("events"), from: fc.oneof(fc.integer({ min: -3, max: 50 }), fc.double()), events: fc.array(event, { maxLength: 5 }) }).map((o) => JSON.stringify(o)),
    fc.record({ t: fc.constantFrom("hello", "events", "ack", "welcome", "zzz"), protocol: fc.integer({ min: 0, max: 3 }), agentId: segment, stream: segment }).map((o) => JSON.stringify(o)),
    fc.json({ maxDepth: 5 }), fc.string({ maxLength: 100 }), deep,
  );
  await open();
  let sent = 0;
  await fc.assert(fc.asyncProperty(frame, async (f) => {
    r.cases++;
    if (!ws || ws.readyState !== WebSocket.OPEN) await open().catch((e: Error) => note(r, "other", `reopen: ${e.message}`));
    try { ws!.send(f); } catch { /* closed meanwhile: the next case reopens */ }
    if (++sent % 50 === 0 && !(await alive().catch(() => false))) note(r, "hangs", `no pong after ${f.slice(0, 200)}`);
    return true;
  }), { numRuns: runs, seed, endOnFailure: true });
  if (!(await alive().catch(() => false))) note(r, "hangs", "no pong at the end");
  (ws as WebSocket | null)?.close();
  const status = await fetch(`${stack.api}/v1/sites/site-a`, { headers: { authorization: `Bearer ${stack.keys.client}` } });
  if (status.status !== 200) note(r, "fivexx", `site status ${status.status} after the uplink fuzz`);
  return r;
}

const connect = (port: number, secure: boolean): net.Socket =>
  secure ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }) : net.connect(port, "127.0.0.1");
const ready = (secure: boolean) => (secure ? "secureConnect" : "connect");

/** Sends bytes to a TCP (or TLS) server and reads what comes back for a moment (a framed server must not hang or die). */
async function tcpExchange(port: number, data: Buffer, waitMs = 30, secure = false): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = connect(port, secure);
    socket.on("error", () => resolve());
    socket.on(ready(secure), () => {
      socket.write(data, () => setTimeout(() => { socket.destroy(); resolve(); }, waitMs));
    });
  });
}

/** Asks a framed server one thing on a fresh connection and waits for the first frame it answers. */
async function tcpAsk(port: number, message: unknown, secure = false): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = connect(port, secure);
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => { socket.destroy(); resolve("timeout"); }, HANG_MS);
    socket.on("error", (e) => { clearTimeout(timer); resolve(`error ${e.message}`); });
    socket.on(ready(secure), () => socket.write(encodeFrame(message)));
    socket.on("data", (chunk) => {
      try {
        const frames = decoder.push(chunk);
        if (frames.length > 0) { clearTimeout(timer); socket.destroy(); resolve(frames[0]); }
      } catch (e) { clearTimeout(timer); socket.destroy(); resolve(`bad frame ${(e as Error).message}`); }
    });
  });
}

const rawFrame = fc.oneof(
  fc.json({ maxDepth: 5 }).map((j) => encodeFrame(JSON.parse(j))),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.record({ len: fc.integer({ min: 0, max: 0xffffffff }), rest: fc.uint8Array({ maxLength: 40 }) }).map(({ len, rest }) => { const h = Buffer.alloc(4); h.writeUInt32BE(len); return Buffer.concat([h, Buffer.from(rest)]); }),
  fc.record({ type: fc.constantFrom("hello", "request", "ping", "enroll", "zzz"), protocol: fc.integer({ min: 0, max: 3 }), user: fc.string({ maxLength: 10 }), password: fc.string({ maxLength: 10 }), op: fc.string({ maxLength: 10 }), instanceId: fc.string({ maxLength: 10 }), authCode: fc.string({ maxLength: 10 }), csr: fc.string({ maxLength: 40 }) }, { requiredKeys: ["type"] }).map((o) => encodeFrame(o)),
);

/** The simulator's switch-link server (what a link agent talks to): fuzzed frames, then a real hello still gets its welcome. */
export async function fuzzSwitchLink(stack: Stack, runs: number, seed?: number): Promise<TargetResult> {
  const user = readSimPlan("infra/ucm-sim/config/demo.json").users["site-b"]!;
  const r = result("switch-link frames");
  const port = stack.sim.clusters["site-b"]!.linkPort; // site-b: the final call runs on site-a
  await fc.assert(fc.asyncProperty(fc.array(rawFrame, { minLength: 1, maxLength: 3 }), async (frames) => {
    r.cases++;
    await tcpExchange(port, Buffer.concat(frames));
    return true;
  }), { numRuns: runs, seed, endOnFailure: true });
  const answer = await tcpAsk(port, { type: "hello", protocol: 1, user: user.user, password: user.password, application: "fuzz check" });
  if ((answer as { type?: string })?.type !== "welcome") note(r, "hangs", `a valid hello after the fuzz got ${JSON.stringify(answer).slice(0, 200)}`);
  return r;
}

/** The simulator's CAPF server: fuzzed frames, then a malformed request still gets a clear error frame. */
export async function fuzzCapf(stack: Stack, runs: number, seed?: number): Promise<TargetResult> {
  const r = result("CAPF messages");
  const port = stack.sim.clusters["site-a"]!.tls!.capfPort;
  // CAPF runs over TLS: most cases reach the message parser inside it, some the handshake itself
  await fc.assert(fc.asyncProperty(fc.array(rawFrame, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 9 }), async (frames, n) => {
    r.cases++;
    await tcpExchange(port, Buffer.concat(frames), 30, n > 0);
    return true;
  }), { numRuns: runs, seed, endOnFailure: true });
  const answer = await tcpAsk(port, { type: "enroll", instanceId: "nobody", authCode: "x", csr: "not a csr" }, true);
  if ((answer as { type?: string })?.type !== "error") note(r, "hangs", `CAPF answered ${JSON.stringify(answer).slice(0, 200)} after the fuzz`);
  return r;
}

/** The simulator's TFTP server: fuzzed datagrams, then the trust file still downloads. */
export async function fuzzTftp(stack: Stack, runs: number, seed?: number): Promise<TargetResult> {
  const r = result("TFTP packets");
  const port = stack.sim.clusters["site-a"]!.tls!.tftpPort;
  const socket = dgram.createSocket("udp4");
  const packet = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
    fc.record({ op: fc.integer({ min: 0, max: 7 }), file: fc.oneof(fc.constant(TRUST_FILE), fc.string({ maxLength: 40 }), fc.constant("../../etc/passwd")), mode: fc.constantFrom("octet", "netascii", "mail", "", "OCTET") })
      .map(({ op, file, mode }) => Buffer.concat([Buffer.from([0, op]), Buffer.from(`${file}\0${mode}\0`, "latin1")])),
    fc.record({ op: fc.integer({ min: 3, max: 5 }), block: fc.integer({ min: 0, max: 65535 }), data: fc.uint8Array({ maxLength: 40 }) })
      .map(({ op, block, data }) => Buffer.concat([Buffer.from([0, op, block >> 8, block & 0xff]), Buffer.from(data)])),
  );
  await fc.assert(fc.asyncProperty(packet, async (p) => {
    r.cases++;
    await new Promise<void>((resolve) => socket.send(p, port, "127.0.0.1", () => resolve()));
    return true;
  }), { numRuns: runs, seed, endOnFailure: true });
  socket.close();
  const file = await withTimeout(tftpGet("127.0.0.1", port, TRUST_FILE, { timeoutMs: 500, retries: 4 }).catch((e: Error) => e.message), 10_000);
  if (!Buffer.isBuffer(file)) note(r, "hangs", `the trust file did not download after the fuzz: ${String(file)}`);
  return r;
}

/** One real call, 1001 -> 1002, after everything: the system still serves calls. */
export async function callStillWorks(stack: Stack): Promise<string | null> {
  const s = await ClientSession.open(stack.client());
  try {
    await s.register("site-a", "1001", "1002");
    const made = await s.request("site-a", { request: "RequestMakeCall", thisDN: "1001", otherDN: "1002" });
    if (made.status !== 200) return `RequestMakeCall: ${JSON.stringify(made.event)}`;
    const connID = made.event.connID!;
    await s.waitFor((e) => e.event === "EventRinging" && e.thisDN === "1002", "EventRinging at 1002");
    const answered = await s.request("site-a", { request: "RequestAnswerCall", thisDN: "1002", connID });
    if (answered.status !== 200) return `RequestAnswerCall: ${JSON.stringify(answered.event)}`;
    await s.waitFor((e) => e.event === "EventEstablished" && e.thisDN === "1001", "EventEstablished at 1001");
    const released = await s.request("site-a", { request: "RequestReleaseCall", thisDN: "1001", connID });
    if (released.status !== 200) return `RequestReleaseCall: ${JSON.stringify(released.event)}`;
    await s.waitFor((e) => e.event === "EventReleased" && e.thisDN === "1002", "EventReleased at 1002");
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await s.close();
  }
}

export const TARGETS = { api: fuzzApi, uplink: fuzzUplink, switchLink: fuzzSwitchLink, capf: fuzzCapf, tftp: fuzzTftp } as const;

