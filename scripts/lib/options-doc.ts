import { sections } from "../../worker/src/options.js";

/** The option reference, from the same definitions that validate PUT /options/<section>. */
export function renderOptionsDoc(): string {
  const out = [
    "# Options",
    "",
    "Application options of a site, by section, like a T-Server application in Configuration Server:",
    "`PUT|GET /v1/sites/<site>/options/<section>`. A PUT replaces the section; an option left out takes",
    "its default. Unknown options and bad values are refused with 400 naming the option and its valid",
    "values. This page is generated from `worker/src/options.ts` (`npm run docs:options`); a test keeps",
    "the two in step.",
    "",
  ];
  for (const [section, options] of Object.entries(sections)) {
    out.push(`## Section ${section}`, "");
    for (const o of options) {
      out.push(`### ${o.name}`, "", `- Default: ${o.default === "" ? "(none)" : o.default}`, `- Valid values: ${o.validValues}`, `- Takes effect: ${o.effective}`);
      if (o.secret) out.push("- Secret: stored, never returned by the API");
      out.push("", o.description, "");
    }
  }
  return out.join("\n");
}
