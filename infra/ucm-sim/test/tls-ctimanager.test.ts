// The CTIManager's TLS port: client certificates of the cluster CA only; an instance ID used by two
// connections at once gets its certificate invalidated.
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterPki, type ClusterPki } from "../src/tls/pki.js";
import { startCapfServer, type CapfServer } from "../src/tls/capf-server.js";
import { startCtiManagerTls, type CtiManagerTls } from "../src/tls/ctimanager-tls.js";
import { enroll } from "../../../link-agent/src/tls/capf-client.js";
import { encodeFrame, FrameDecoder } from "../../../shared/node/framing.js";

let pki: ClusterPki;
let capf: CapfServer;
let cti: CtiManagerTls;
const accepted: string[] = [];
beforeAll(async () => {
  pki = clusterPki("cucm-test");
  capf = await startCapfServer({ port: 0, pki, profiles: [] });
  // stands in for the switch-link server: greets, then echoes frames
  cti = await startCtiManagerTls({
    port: 0, pki,
    onSocket: (socket, { instanceId }) => {
      accepted.push(instanceId);
      socket.write(encodeFrame({ type: "welcome", instanceId }));
      socket.on("data", (c) => socket.write(c));
    },
  });
});
afterAll(async () => { await cti.close(); await capf.close(); });

const enrolled = async (instanceId: string, code = `code-${instanceId}`) => {
  capf.setProfile({ instanceId, authCode: code });
  return enroll({ host: "127.0.0.1", port: capf.port, trustedPem: pki.trustFile.toString(), instanceId, authCode: code });
};

interface Conn { frames: Array<Record<string, string>>; closed: Promise<void>; socket: tls.TLSSocket }
/** Connects, and resolves once the server has either greeted the client or closed the connection. */
const connect = (creds?: { keyPem: string; certPem: string }) => new Promise<Conn>((resolve) => {
  const socket = tls.connect({ host: "127.0.0.1", port: cti.port, ca: pki.trustFile.toString(), ...(creds ? { key: creds.keyPem, cert: creds.certPem } : {}) });
  const frames: Conn["frames"] = [];
  const decoder = new FrameDecoder();
  const closed = new Promise<void>((r) => socket.on("close", () => r()));
  const conn = { frames, closed, socket };
  socket.on("error", () => {});
  socket.on("data", (c) => { frames.push(...(decoder.push(c) as Conn["frames"])); if (frames.length) resolve(conn); });
  void closed.then(() => resolve(conn));
});

describe("CTIManager TLS port", () => {
  it("lets in a client certificate of the cluster and tells the switch-link side its instance ID", async () => {
    const c = await connect(await enrolled("app-ok"));
    expect(c.frames[0]).toEqual({ type: "welcome", instanceId: "app-ok" });
    expect(cti.connected()).toContain("app-ok");
    c.socket.write(encodeFrame({ type: "ping" }));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.frames[1]).toEqual({ type: "ping" });
    c.socket.destroy();
    await c.closed;
  });

  it("refuses a client without a certificate, and one with a certificate of another CA", async () => {
    const before = accepted.length;
    const none = await connect();
    await none.closed;
    const other = clusterPki("elsewhere");
    const foreignCapf = await startCapfServer({ port: 0, pki: other, profiles: [{ instanceId: "app-x", authCode: "x" }] });
    const foreign = await enroll({ host: "127.0.0.1", port: foreignCapf.port, trustedPem: other.trustFile.toString(), instanceId: "app-x", authCode: "x" });
    await foreignCapf.close();
    const f = await connect(foreign);
    await f.closed;
    expect(none.frames).toEqual([]);
    expect(f.frames).toEqual([]);
    expect(accepted.length).toBe(before);
  });

  it("lets two instance IDs in at once", async () => {
    const [a, b] = await Promise.all([connect(await enrolled("app-a")), connect(await enrolled("app-b"))]);
    expect([a.frames[0]?.type, b.frames[0]?.type]).toEqual(["welcome", "welcome"]);
    a.socket.destroy();
    b.socket.destroy();
    await Promise.all([a.closed, b.closed]);
  });

  it("invalidates a certificate used by two connections at once: both closed with the reason, refused from then on", async () => {
    const creds = await enrolled("app-twice");
    const first = await connect(creds);
    expect(first.frames[0]?.type).toBe("welcome");
    const second = await connect(creds);
    await Promise.all([first.closed, second.closed]);
    expect(second.frames).toEqual([{ type: "error", message: expect.stringMatching(/instance ID app-twice was used by two connections at once: its certificate is invalidated/) }]);
    expect(first.frames.at(-1)).toEqual({ type: "error", message: expect.stringMatching(/used by two connections at once/) });
    const serial = new X509Certificate(creds.certPem).serialNumber.toLowerCase();
    expect(cti.revoked.get(serial)).toMatchObject({ instanceId: "app-twice", reason: expect.stringMatching(/two connections/) });
    expect(cti.connected()).not.toContain("app-twice");

    const later = await connect(creds);
    await later.closed;
    expect(later.frames).toEqual([{ type: "error", message: expect.stringMatching(/certificate of instance ID app-twice \(serial [0-9a-f]+\) was invalidated .*enroll again/) }]);

    // a new enrollment (new authorization code) brings the instance back
    const fresh = await connect(await enrolled("app-twice", "second-code"));
    expect(fresh.frames[0]).toEqual({ type: "welcome", instanceId: "app-twice" });
    fresh.socket.destroy();
    await fresh.closed;
  });
});
