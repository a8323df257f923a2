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
    name: "request-timeout",
    default: "10",
    validValues: "1-120 (seconds)",
    effective: "immediately",
    description:
      "How long a request waits for the switch's outcome (for example EventDialing after RequestMakeCall) " +
      "before it is answered with EventError 57 (timeout). Applies to the next request.",
    check: integer(1, 120),
  },
];

export const sections: Record<string, OptionSpec[]> = { TServer: TServerOptions };

export function sectionSpec(section: string): OptionSpec[] | null {
  return sections[section] ?? null;
}

/** Validates a whole section; returns the errors, each naming the option and its valid values. */
export function validateSection(section: string, values: Record<string, string>): string[] {
  const spec = sectionSpec(section);
  if (!spec) return [`unknown section "${section}": known sections are ${Object.keys(sections).join(", ")}`];
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
