import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderOptionsDoc } from "../../scripts/lib/options-doc.js";

describe("docs/options.md", () => {
  it("matches the option definitions the worker enforces (run npm run docs:options)", () => {
    expect(readFileSync(new URL("../../docs/options.md", import.meta.url), "utf8")).toBe(renderOptionsDoc());
  });
});
