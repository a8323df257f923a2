// Decides, per link, whether it runs over TLS and prepares what it needs: the pinned server
// certificate (TFTP, trusted on first download), the link's client certificate (CAPF, once, with the
// auth code) kept in the keystore, and the options to connect with. Any refusal is logged loudly and
// that link does not connect at all. Secrets (password, auth codes, keys) are never logged.
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "pino";
import { tftpGet } from "./tftp-client.js";
import { PINNED_FILE, PinError, pinnedServerIdentity, pinServerCertificate, readPin } from "./pinning.js";
import { certificateExpiry, type KeyEntry, KeystoreDamagedError, KeystorePasswordError, keystoreFile, loadEntry, saveEntry } from "./keystore.js";
import { CapfRefusedError, enroll, tlsServername } from "./capf-client.js";
import { CertPathError, ensurePrivateDir } from "./private-files.js";

/** The options of section link-tls that TLS needs, every one of them (the seed's list). */
export const LINK_TLS_MANDATORY = ["password", "tls-cert-path", "tls-capf-host", "tls-capf-port", "tls-tftp-host", "tls-tftp-port"] as const;

export type TlsConnectOptions = Pick<ConnectionOptions, "key" | "cert" | "ca" | "servername" | "checkServerIdentity">;

export type TlsDecision =
  | { link: string; mode: "plain"; reason: string }
  | { link: string; mode: "tls"; instanceId: string; options: TlsConnectOptions }
  | { link: string; mode: "refused"; reason: string };

export interface LinkTlsInput {
  name: string;
  /** The CTIManager host the link connects to (for SNI and the host-name check). */
  host: string;
  /** The link's own section (link-N): tls-instance-id, tls-auth-code. */
  section: Record<string, string | undefined>;
}

type Options = Record<string, string | undefined>;

/** A value counts as set when it is not blank; the password is taken as typed. */
const value = (o: Options, name: string) => (name === "password" ? o[name] || undefined : o[name]?.trim() || undefined);

const port = (raw: string) => (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 65535 ? Number(raw) : undefined);

/** TLS on or off per link, from the options alone; logs why a link goes plain. */
function eligibility(linkTls: Options, links: LinkTlsInput[], log: Logger, decisions: Map<string, TlsDecision>): LinkTlsInput[] {
  const configured = LINK_TLS_MANDATORY.some((o) => value(linkTls, o)) || links.some((l) => value(l.section, "tls-instance-id"));
  const missing = LINK_TLS_MANDATORY.filter((o) => !value(linkTls, o));
  const plain = (link: string, reason: string, level: "debug" | "warn") => {
    log[level]({ link }, reason);
    decisions.set(link, { link, mode: "plain", reason });
  };
  for (const link of links) {
    if (!configured) plain(link.name, `TLS is not configured for ${link.name}: plain TCP`, "debug");
    else if (missing.length > 0) plain(link.name, `TLS off for ${link.name}: mandatory option link-tls/${missing.join(", link-tls/")} is not set; connecting over plain TCP`, "warn");
    else if (!value(link.section, "tls-instance-id")) plain(link.name, `TLS off for ${link.name}: mandatory option ${link.name}/tls-instance-id is not set; connecting over plain TCP`, "warn");
  }
  return links.filter((l) => !decisions.has(l.name));
}

/** One instance ID, one link: Cisco invalidates a certificate used by two connections at once. */
function refuseDuplicates(allLinks: LinkTlsInput[], tlsLinks: LinkTlsInput[], considered: LinkTlsInput[], log: Logger, decisions: Map<string, TlsDecision>): void {
  const byInstance = new Map<string, string[]>();
  // links outside `only` count too: they hold their instance ID while this one reconnects
  const holders = allLinks.filter((l) => value(l.section, "tls-instance-id") && (considered.includes(l) ? tlsLinks.includes(l) : true));
  for (const l of holders) {
    const id = value(l.section, "tls-instance-id")!;
    byInstance.set(id, [...(byInstance.get(id) ?? []), l.name]);
  }
  for (const [instanceId, names] of byInstance) {
    if (names.length < 2) continue;
    const reason = `tls-instance-id ${instanceId} is configured on ${names.join(" and ")}: an instance ID may serve one link only (the cluster would invalidate its certificate); these links will not connect`;
    log.error({ instanceId, links: names }, reason);
    for (const n of names) if (considered.some((l) => l.name === n)) decisions.set(n, { link: n, mode: "refused", reason });
  }
}

/** The pinned server certificate file: downloaded and compared, or pinned on the first download. */
async function trustedServerCertificate(certPath: string, tftpHost: string, tftpPort: number, log: Logger): Promise<string> {
  let downloaded: Buffer;
  try {
    downloaded = await tftpGet(tftpHost, tftpPort, PINNED_FILE);
  } catch (err) {
    const pin = readPin(certPath);
    if (!pin) throw new PinError(`cannot fetch the server certificate over TFTP from ${tftpHost}:${tftpPort} and none is pinned yet: ${(err as Error).message}`);
    log.warn({ err: (err as Error).message, file: pin.file }, "TFTP unreachable: using the pinned server certificate");
    return pin.pem;
  }
  const pin = pinServerCertificate(certPath, downloaded);
  if (pin.firstDownload) log.warn({ sha256: pin.sha256, file: pin.file }, "server certificate downloaded for the first time and trusted from now on: this first run should be in a secure network");
  return pin.pem;
}

/** The link's entry from the keystore, or a new one enrolled at CAPF with its auth code. */
async function clientCertificate(link: LinkTlsInput, linkTls: Options, capf: { host: string; port: number }, trusted: string, log: Logger): Promise<KeyEntry> {
  const certPath = value(linkTls, "tls-cert-path")!;
  const password = value(linkTls, "password")!;
  const instanceId = value(link.section, "tls-instance-id")!;
  const authCode = value(link.section, "tls-auth-code");
  const entry = loadEntry(certPath, instanceId, password);
  if (entry && certificateExpiry(entry.certPem).getTime() > Date.now()) {
    if (authCode) log.warn({ link: link.name, instanceId }, `${link.name} already has its certificate: tls-auth-code is no longer needed and should be removed from section ${link.name}`);
    return entry;
  }
  const expired = entry ? `its certificate expired on ${certificateExpiry(entry.certPem).toISOString()}` : "";
  if (!authCode) {
    throw new CapfRefusedError("no-code", `${link.name} has ${expired ? `no valid certificate (${expired})` : "no certificate yet"} and no tls-auth-code to enroll one with`);
  }
  if (expired) log.warn({ link: link.name, instanceId }, `${link.name}: ${expired}; enrolling again with tls-auth-code`);
  const enrolled = await enroll({ ...capf, trustedPem: trusted, instanceId, authCode });
  const file = saveEntry(certPath, instanceId, enrolled, password);
  log.info({ link: link.name, instanceId, keystore: file }, "client certificate enrolled at CAPF and stored in the keystore");
  return enrolled;
}

/** Decides for every link, or with `only` for that one link (the others still count for duplicate instance IDs). */
export async function prepareTls(linkTls: Options, allLinks: LinkTlsInput[], log: Logger, only?: string): Promise<Map<string, TlsDecision>> {
  const links = allLinks.filter((l) => !only || l.name === only);
  const decisions = new Map<string, TlsDecision>();
  const tlsLinks = eligibility(linkTls, links, log, decisions);
  if (tlsLinks.length === 0) return decisions;
  refuseDuplicates(allLinks, tlsLinks, links, log, decisions);
  const candidates = tlsLinks.filter((l) => !decisions.has(l.name));
  if (candidates.length === 0) return decisions;

  const refuseAll = (reason: string) => {
    log.error({ links: candidates.map((c) => c.name) }, reason);
    for (const l of candidates) decisions.set(l.name, { link: l.name, mode: "refused", reason });
    return decisions;
  };
  const capfPort = port(value(linkTls, "tls-capf-port")!);
  const tftpPort = port(value(linkTls, "tls-tftp-port")!);
  if (!capfPort) return refuseAll(`link-tls/tls-capf-port "${value(linkTls, "tls-capf-port")}" is not a port (1-65535): TLS links will not connect`);
  if (!tftpPort) return refuseAll(`link-tls/tls-tftp-port "${value(linkTls, "tls-tftp-port")}" is not a port (1-65535): TLS links will not connect`);

  const certPath = value(linkTls, "tls-cert-path")!;
  let trusted: string;
  try {
    ensurePrivateDir(certPath);
    trusted = await trustedServerCertificate(certPath, value(linkTls, "tls-tftp-host")!, tftpPort, log);
  } catch (err) {
    if (err instanceof PinError || err instanceof CertPathError) return refuseAll(err.message);
    return refuseAll(`TLS set-up failed: ${(err as Error).message}`);
  }

  const capf = { host: value(linkTls, "tls-capf-host")!, port: capfPort };
  for (const link of candidates) {
    const instanceId = value(link.section, "tls-instance-id")!;
    try {
      const entry = await clientCertificate(link, linkTls, capf, trusted, log);
      const options: TlsConnectOptions = { key: entry.keyPem, cert: entry.certPem, ca: trusted, servername: tlsServername(link.host), checkServerIdentity: pinnedServerIdentity(trusted) };
      decisions.set(link.name, { link: link.name, mode: "tls", instanceId, options });
    } catch (err) {
      const known = err instanceof KeystorePasswordError || err instanceof KeystoreDamagedError || err instanceof CapfRefusedError;
      const reason = known ? (err as Error).message : `TLS set-up of ${link.name} failed: ${(err as Error).message}`;
      log.error({ link: link.name, instanceId, keystore: keystoreFile(certPath, instanceId) }, reason);
      decisions.set(link.name, { link: link.name, mode: "refused", reason });
    }
  }
  return decisions;
}
