import { parseInvalidDestAction } from "./dn/agent-state.js";

// Application options by section, like a T-Server application object in Configuration Server.
// Every option states its default, its valid values and when a change takes effect; docs/options.md
// is generated from the same facts (keep them in step).

export type Effective = "immediately" | "link reconnect" | "after restart";

export interface OptionSpec {
  name: string;
  default: string;
  validValues: string;
  effective: Effective;
  description: string;
  /** Returns an error message, or null when the value is valid. */
  check(value: string): string | null;
  /** Secrets are stored but never returned by the API. */
  secret?: boolean;
}

const integer = (min: number, max: number) => (value: string) =>
  /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max ? null : `an integer from ${min} to ${max}`;

export const TServerOptions: OptionSpec[] = [
  {
    name: "client-disconnect-grace",
    default: "10",
    validValues: "0-3600 (seconds)",
    effective: "immediately",
    description:
      "How long a client session whose event socket closed may take to reconnect before it ends as a " +
      "T-Library client disconnect (its DNs are unregistered). 0 ends it at once. Applies from the next disconnect.",
    check: integer(0, 3600),
  },
  {
    name: "cti-port-release-timeout",
    default: "10",
    validValues: "0-300 (seconds)",
    effective: "immediately",
    description:
      "How long a call may stay established at a CTI port (an Extension with switch-specific type 2, used as a temporary " +
      "supervisor DN for cross-cluster monitoring) before the T-Server releases it: the CTI port gets EventReleased and the " +
      "monitored agent EventPartyDeleted. A client is expected to single-step transfer the monitor call at once (seed: " +
      "\"Any calls to a CTI port should be transferred immediately\"). 0 turns the timer off. Applies to calls established after the change.",
    check: integer(0, 300),
  },
  {
    name: "remote-observe-timeout",
    default: "20",
    validValues: "1-120 (seconds)",
    effective: "immediately",
    description:
      "The match window of a remote observation (RequestSingleStepTransfer of a monitor call with GCTI-REMOTE-OBSERVE=true): " +
      "how long the destination DN waits for the monitor call to arrive. A call that arrives in time is the observer's " +
      "(thisDNRole 10) and the requester gets EventRemoteConnectionSuccess; otherwise EventRemoteConnectionFailed with " +
      "errorCode 1013. Applies to the next transfer.",
    check: integer(1, 120),
  },
  {
    name: "request-timeout",
    default: "10",
    validValues: "1-120 (seconds)",
    effective: "immediately",
    description:
      "How long a request waits for the switch's outcome (for example EventDialing after RequestMakeCall) " +
      "before it is answered with EventError 57 (timeout). Applies to the next request.",
    check: integer(1, 120),
  },
  {
    name: "route-invalid-dest-action",
    default: "none",
    validValues: "none, notready, walkaway, logout",
    effective: "immediately",
    description:
      "What to do with the agent at a DN when a call routed there (RequestRouteCall) fails because the DN is invalid or " +
      "unavailable (error 177, or 415): none; notready (EventAgentNotReady); walkaway (EventAgentNotReady with AgentWorkMode 6); " +
      "logout (EventAgentLogout). Nothing is done while DND is on at that DN, or when no agent is logged in there. " +
      "Precedence: the request's extension INVALID_DEST_ACTION, then this option in section TServer of the destination " +
      "DN's Annex, then this option here, else none. Values are taken in any case (NotReady = notready). " +
      "Example: application logout, DN 1003's Annex notready, a request with INVALID_DEST_ACTION=walkaway: a failed route " +
      "to 1003 with that request sets walkaway; without the extension, notready; to 1002 (no Annex value), logout.",
    check: (value) => (parseInvalidDestAction(value) ? null : "one of none, notready, walkaway, logout"),
  },
];

const anyText = (value: string) => (value.length > 0 ? null : "a non-empty string");
const port = integer(1, 65535);
const afterRestart = "after restart";

/** Section link-tls: TLS between the link agent and the CTIManager (the seed's "TLS Support"). */
export const LinkTlsOptions: OptionSpec[] = [
  { name: "password", default: "", validValues: "any characters", effective: afterRestart, secret: true, check: anyText,
    description: "Passphrase that encrypts the link agent's keystore of certificates (PKCS#12 files under tls-cert-path). Prefer setting it on the agent's host (LINK_TLS_PASSWORD)." },
  { name: "tls-cert-path", default: "", validValues: "a local path on the link agent's host", effective: afterRestart, check: anyText,
    description: "Folder where the link agent keeps the pinned server certificate and its keystore." },
  { name: "tls-capf-host", default: "", validValues: "a host name or IP address", effective: afterRestart, check: anyText,
    description: "Host of the Cisco UCM CAPF service that issues the links' client certificates." },
  { name: "tls-capf-port", default: "", validValues: "1-65535 (typically 3804)", effective: afterRestart, check: port,
    description: "Port of the CAPF service." },
  { name: "tls-tftp-host", default: "", validValues: "a host name or IP address", effective: afterRestart, check: anyText,
    description: "Host of the Cisco UCM TFTP server that hands out the server certificate (trusted on first download)." },
  { name: "tls-tftp-port", default: "", validValues: "1-65535 (typically 69)", effective: afterRestart, check: port,
    description: "Port of the TFTP server." },
];

/** Section link-N: one link of the link agent to the CTIManager. */
export const LinkOptions: OptionSpec[] = [
  { name: "tls-instance-id", default: "", validValues: "any characters; one link per instance ID", effective: "link reconnect", check: anyText,
    description: "Application instance ID of this link as configured on Cisco UCM (its CAPF profile). Each TLS link needs its own. A change drops and reconnects this link." },
  { name: "tls-auth-code", default: "", validValues: "any characters", effective: "link reconnect", secret: true, check: anyText,
    description: "Authorization string configured on Cisco UCM for the instance ID; needed once, for the first enrollment of the link's certificate, then to be removed. A change drops and reconnects this link." },
];

export const sections: Record<string, OptionSpec[]> = { TServer: TServerOptions, "link-tls": LinkTlsOptions, "link-N": LinkOptions };

export function sectionSpec(section: string): OptionSpec[] | null {
  if (/^link-\d+$/.test(section)) return LinkOptions;
  // own names only: "__proto__" or "constructor" are no sections
  return section === "link-N" || !Object.hasOwn(sections, section) ? null : sections[section]!;
}

/** Sections the link agents receive (and are told about when they change). */
export function isLinkSection(section: string): boolean {
  return section === "link-tls" || /^link-\d+$/.test(section);
}

/** Validates a whole section; returns the errors, each naming the option and its valid values. */
export function validateSection(section: string, values: Record<string, string>): string[] {
  const spec = sectionSpec(section);
  if (!spec) return [`unknown section "${section}": known sections are TServer, link-tls, link-1, link-2, ...`];
  const errors: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const option = spec.find((o) => o.name === name);
    if (!option) {
      errors.push(`unknown option "${name}" in section ${section}: known options are ${spec.map((o) => o.name).join(", ")}`);
      continue;
    }
    if (typeof value !== "string") {
      errors.push(`option ${section}/${name} must be a string; valid values: ${option.validValues}`);
      continue;
    }
    const problem = option.check(value);
    if (problem) errors.push(`option ${section}/${name}: "${value}" is not valid; valid values: ${option.validValues} (${problem})`);
  }
  return errors;
}

export function optionValue(section: string, name: string, stored: Record<string, string> | undefined): string {
  const spec = sectionSpec(section)?.find((o) => o.name === name);
  return stored?.[name] ?? spec?.default ?? "";
}
