// The keystore: a PKCS#12 file per instance ID, encrypted with the password; openssl opens it.
import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { clusterPki } from "../../infra/ucm-sim/src/tls/pki.js";
import { createKeyAndCsr } from "../src/tls/capf-client.js";
import { type KeyEntry, KeystoreDamagedError, KeystorePasswordError, keystoreFile, loadEntry, saveEntry } from "../src/tls/keystore.js";

let entry: KeyEntry;
beforeAll(() => {
  const pki = clusterPki("cucm-test");
  const { keyPem, csrPem } = createKeyAndCsr("app-1");
  entry = { keyPem, certPem: pki.issueClientCertificate(csrPem, "app-1").certPem, caPem: pki.caCertPem };
});
const dir = () => mkdtempSync(join(tmpdir(), "ks-"));
const sameKey = (a: string, b: string) => createPrivateKey(a).export({ type: "pkcs8", format: "pem" }) === createPrivateKey(b).export({ type: "pkcs8", format: "pem" });

describe("keystore", () => {
  it("stores a link's key, certificate and CA, encrypted, readable by the agent's user only, and reads them back", () => {
    const d = dir();
    const file = saveEntry(d, "app-1", entry, "s3cret pass");
    expect(file).toBe(join(d, "app-1.p12"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file).toString("latin1");
    expect(bytes).not.toContain("PRIVATE KEY");
    expect(bytes).not.toContain("-----BEGIN");
    const back = loadEntry(d, "app-1", "s3cret pass")!;
    expect(sameKey(back.keyPem, entry.keyPem)).toBe(true);
    expect(back.certPem.trim()).toBe(entry.certPem.trim());
    expect(back.caPem.trim()).toBe(entry.caPem.trim());
    expect(loadEntry(d, "app-2", "s3cret pass")).toBeUndefined();
  });

  it("refuses a wrong password with a clear error", () => {
    const d = dir();
    saveEntry(d, "app-1", entry, "right");
    expect(() => loadEntry(d, "app-1", "wrong")).toThrow(KeystorePasswordError);
    expect(() => loadEntry(d, "app-1", "wrong")).toThrow(`cannot open the keystore ${join(d, "app-1.p12")}: wrong password`);
  });

  it("refuses a damaged file, and a file of another instance put under this one's name", () => {
    const d = dir();
    writeFileSync(join(d, "app-1.p12"), "garbage");
    expect(() => loadEntry(d, "app-1", "x")).toThrow(KeystoreDamagedError);
    saveEntry(d, "app-1", entry, "x");
    copyFileSync(join(d, "app-1.p12"), join(d, "app-9.p12"));
    expect(() => loadEntry(d, "app-9", "x")).toThrow(/holds the certificate of app-1, not app-9/);
  });

  it("keeps instance IDs that a file name would confuse apart", () => {
    expect(keystoreFile("/k", "a/b")).not.toBe(keystoreFile("/k", "a_b"));
    expect(keystoreFile("/k", "a_b")).toBe("/k/a_b.p12");
    expect(keystoreFile("/k", "../x")).toMatch(/^\/k\/\.\._x-[0-9a-f]{8}\.p12$/);
  });
});

const openssl = spawnSync("sh", ["-c", "command -v openssl"]).status === 0;
if (!openssl) console.warn("SKIPPED: openssl is not installed (apt-get install openssl): the keystore was not checked with it");

describe("keystore against openssl", () => {
  it.skipIf(!openssl)(`openssl pkcs12 opens it with the password (friendly name = instance ID, AES-256) and not without${openssl ? "" : " [SKIPPED: openssl not installed]"}`, () => {
    const d = dir();
    const file = saveEntry(d, "app-1", entry, "s3cret pass");
    const info = execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:s3cret pass", "-info", "-nodes"], { stdio: ["ignore", "pipe", "pipe"] });
    const out = info.toString();
    expect(out).toContain("friendlyName: app-1");
    expect(out).toContain("subject=CN = app-1");
    expect(out).toMatch(/-----BEGIN PRIVATE KEY-----/);
    const details = spawnSync("openssl", ["pkcs12", "-in", file, "-passin", "pass:s3cret pass", "-info", "-noout"]).stderr.toString();
    expect(details).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    for (const wrong of ["pass:wrong", "pass:"]) {
      const r = spawnSync("openssl", ["pkcs12", "-in", file, "-passin", wrong, "-nodes"]);
      expect(r.status, wrong).not.toBe(0);
      expect(r.stdout.toString()).not.toContain("PRIVATE KEY");
      expect(r.stderr.toString()).toMatch(/Mac verify error|invalid password/i);
    }
  });
});
