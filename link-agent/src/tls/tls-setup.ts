// Decides, per link, whether it runs over TLS and prepares what it needs: the pinned server
// certificate (TFTP, trusted on first download), the link's client certificate (CAPF, once, with the
// auth code) kept in the keystore, and the TLS options to connect with. Any refusal is logged loudly
// and that link does not connect at all.
import { mkdirSync, chmodSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "pino";
import { tftpGet } from "./tftp-client.js";
import { PINNED_FILE, PinMismatchError, pinServerCertificate } from "./pinning.js";
import { KeystorePasswordError, keystoreFile, loadEntry, saveEntry } from "./keystore.js";
import { CapfRefusedError, enroll, tlsServername } from "./capf-client.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The options of section link-tls that TLS needs, every one of them (the seed's list). */
export const LINK_TLS_MANDATORY = ["password", "tls-cert-path", "tls-capf-host", "tls-capf-port", "tls-tftp-host", "tls-tftp-port"] as const;

export type TlsDecision =
  | { link: string; mode: "plain"; reason: string }
  | { link: string; mode: "tls"; instanceId: string; options: Pick<ConnectionOptions, "key" | "cert" | "ca" | "servername"> }
  | { link: string; mode: "refused"; reason: string };

export interface LinkTlsInput {
  name: string;
  host: string;
  /** The link's own section (link-N): tls-instance-id, tls-auth-code. */
  section: Record<string, string | undefined>;
}

/** Decides for every link, or with `only` for that one link (the others still count for duplicate instance IDs). */
export async function prepareTls(linkTls: Record<string, string | undefined>, allLinks: LinkTlsInput[], log: Logger, only?: string): Promise<Map<string, TlsDecision>> {
  const links = allLinks.filter((l) => !only || l.name === only);
  const decisions = new Map<string, TlsDecision>();
  const anyTlsOption = Object.values(linkTls).some(Boolean) || links.some((l) => l.section["tls-instance-id"]);
  const missing = LINK_TLS_MANDATORY.filter((o) => !linkTls[o]);
  for (const link of links) {
    if (!anyTlsOption) {
      decisions.set(link.name, { link: link.name, mode: "plain", reason: "TLS is not configured" });
    } else if (missing.length > 0) {
      const reason = `TLS off for ${link.name}: mandatory option link-tls/${missing.join(", link-tls/")} is not set; connecting over plain TCP`;
      log.warn({ link: link.name, missing }, reason);
      decisions.set(link.name, { link: link.name, mode: "plain", reason });
    } else if (!link.section["tls-instance-id"]) {
      const reason = `TLS off for ${link.name}: mandatory option ${link.name}/tls-instance-id is not set; connecting over plain TCP`;
      log.warn({ link: link.name }, reason);
      decisions.set(link.name, { link: link.name, mode: "plain", reason });
    }
  }
  const tlsLinks = links.filter((l) => !decisions.has(l.name));
  if (tlsLinks.length === 0) return decisions;

  // one instance ID, one link: Cisco invalidates a certificate used by two connections at once
  const byInstance = new Map<string, string[]>();
  const counted = allLinks.filter((l) => l.section["tls-instance-id"] && (links.includes(l) ? tlsLinks.includes(l) : true));
  for (const l of counted) byInstance.set(l.section["tls-instance-id"]!, [...(byInstance.get(l.section["tls-instance-id"]!) ?? []), l.name]);
  for (const [instanceId, names] of byInstance) {
    if (names.length < 2) continue;
    const reason = `tls-instance-id ${instanceId} is configured on ${names.join(" and ")}: an instance ID may serve one link only (the cluster would invalidate its certificate); these links will not connect`;
    log.error({ instanceId, links: names }, reason);
    for (const n of names) if (links.some((l) => l.name === n)) decisions.set(n, { link: n, mode: "refused", reason });
  }
  const candidates = tlsLinks.filter((l) => !decisions.has(l.name));
  if (candidates.length === 0) return decisions;

  const certPath = linkTls["tls-cert-path"]!;
  const password = linkTls.password!;
  const refuseAll = (reason: string) => {
    log.error({ links: candidates.map((c) => c.name) }, reason);
    for (const l of candidates) decisions.set(l.name, { link: l.name, mode: "refused", reason });
    return decisions;
  };
  mkdirSync(certPath, { recursive: true, mode: 0o700 });
  chmodSync(certPath, 0o700);

  let trusted: string;
  try {
    const downloaded = await tftpGet(linkTls["tls-tftp-host"]!, Number(linkTls["tls-tftp-port"]), PINNED_FILE);
    const pin = pinServerCertificate(certPath, downloaded);
    if (pin.firstDownload) log.warn({ sha256: pin.sha256, file: join(certPath, PINNED_FILE) }, "server certificate downloaded for the first time and trusted from now on: this first run should be in a secure network");
    trusted = pin.pem;
  } catch (err) {
    if (err instanceof PinMismatchError) return refuseAll(err.message);
    const pinned = join(certPath, PINNED_FILE);
    if (!existsSync(pinned)) return refuseAll(`cannot fetch the server certificate over TFTP from ${linkTls["tls-tftp-host"]}:${linkTls["tls-tftp-port"]} and none is pinned yet: ${(err as Error).message}`);
    log.warn({ err: (err as Error).message }, "TFTP unreachable: using the pinned server certificate");
    trusted = readFileSync(pinned, "utf8");
  }

  for (const link of candidates) {
    const instanceId = link.section["tls-instance-id"]!;
    const authCode = link.section["tls-auth-code"];
    try {
      let entry = loadEntry(certPath, instanceId, password);
      if (entry) {
        if (authCode) log.warn({ link: link.name, instanceId }, `${link.name} already has its certificate: tls-auth-code is no longer needed and should be removed from section ${link.name}`);
      } else {
        if (!authCode) throw new CapfRefusedError("no-code", `${link.name} has no certificate yet and no tls-auth-code to enroll one with`);
        entry = await enroll({ host: linkTls["tls-capf-host"]!, port: Number(linkTls["tls-capf-port"]), trustedPem: trusted, instanceId, authCode });
        const file = saveEntry(certPath, instanceId, entry, password);
        log.info({ link: link.name, instanceId, keystore: file }, "client certificate enrolled at CAPF and stored in the keystore");
      }
      decisions.set(link.name, { link: link.name, mode: "tls", instanceId, options: { key: entry.keyPem, cert: entry.certPem, ca: trusted, servername: tlsServername(link.host) } });
    } catch (err) {
      const reason = err instanceof KeystorePasswordError || err instanceof CapfRefusedError ? err.message : `TLS set-up of ${link.name} failed: ${(err as Error).message}`;
      log.error({ link: link.name, instanceId, keystore: keystoreFile(certPath, instanceId) }, reason);
      decisions.set(link.name, { link: link.name, mode: "refused", reason });
    }
  }
  return decisions;
}
