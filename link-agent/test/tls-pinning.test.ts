// Trust on first download of the server certificate file, and the check of the server against it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { clusterPki, type ClusterPki } from "../../infra/ucm-sim/src/tls/pki.js";
import { PINNED_FILE, PINNED_SHA256_FILE, PinError, PinMismatchError, pinnedServerIdentity, pinServerCertificate, readPin } from "../src/tls/pinning.js";

let a: ClusterPki;
let b: ClusterPki;
beforeAll(() => { a = clusterPki("cluster-a"); b = clusterPki("cluster-b"); });
const dir = () => mkdtempSync(join(tmpdir(), "pin-"));

describe("pinning the server certificate", () => {
  it("pins the first download with its SHA-256 (readable by the agent's user only), then accepts the same bytes", () => {
    const d = dir();
    const first = pinServerCertificate(d, a.trustFile);
    expect(first).toMatchObject({ firstDownload: true, file: join(d, PINNED_FILE) });
    expect(readFileSync(join(d, PINNED_FILE)).equals(a.trustFile)).toBe(true);
    for (const f of [PINNED_FILE, PINNED_SHA256_FILE]) expect(statSync(join(d, f)).mode & 0o777).toBe(0o600);
    // the record is in sha256sum's format: the standard tool checks it
    expect(execFileSync("sha256sum", ["-c", PINNED_SHA256_FILE], { cwd: d }).toString()).toBe(`${PINNED_FILE}: OK\n`);
    const again = pinServerCertificate(d, Buffer.from(a.trustFile));
    expect(again).toMatchObject({ firstDownload: false, sha256: first.sha256, pem: a.trustFile.toString() });
  });

  it("refuses a download that differs from the pinned file, naming both digests and the way out", () => {
    const d = dir();
    const pinned = pinServerCertificate(d, a.trustFile);
    let error: unknown;
    try { pinServerCertificate(d, b.trustFile); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(PinMismatchError);
    const message = (error as Error).message;
    expect(message).toMatch(/^the server certificate changed since its first download: refusing to connect/);
    expect(message).toContain(`pinned sha256 ${pinned.sha256}`);
    expect(message).toMatch(/downloaded [0-9a-f]{64}/);
    expect(message).toContain(`remove ${join(d, PINNED_FILE)} and start again in a secure network`);
    expect(readFileSync(join(d, PINNED_FILE)).equals(a.trustFile)).toBe(true); // the pin stays
  });

  it("refuses to pin a first download that is not a certificate file", () => {
    const d = dir();
    expect(() => pinServerCertificate(d, Buffer.from("<html>captive portal</html>"))).toThrow(PinError);
    expect(existsSync(join(d, PINNED_FILE))).toBe(false);
  });

  it("refuses a pinned file altered on this host", () => {
    const d = dir();
    pinServerCertificate(d, a.trustFile);
    writeFileSync(join(d, PINNED_FILE), b.trustFile);
    expect(() => readPin(d)).toThrow(/was altered on this host/);
    expect(() => pinServerCertificate(d, b.trustFile)).toThrow(PinMismatchError);
  });
});

describe("checking the server against the pin", () => {
  const peer = (pem: string, extra: Partial<PeerCertificate> = {}) => ({ fingerprint256: new X509Certificate(pem).fingerprint256, subject: { CN: "x" }, subjectaltname: "DNS:x", ...extra }) as PeerCertificate;

  it("accepts a pinned certificate whatever the address used, and checks the host name of any other", () => {
    const check = pinnedServerIdentity(a.trustFile.toString());
    expect(check("cucm-pub.example", peer(a.serverCertPem))).toBeUndefined();
    expect(check("10.0.0.5", peer(a.serverCertPem))).toBeUndefined();
    expect(check("cucm-pub.example", peer(b.serverCertPem, { subjectaltname: "DNS:cucm-pub.example" }))).toBeUndefined();
    expect(check("cucm-pub.example", peer(b.serverCertPem))).toBeInstanceOf(Error);
  });
});
