// Writes docs/options.md from the option definitions the worker enforces (npm run docs:options).
import { writeFileSync } from "node:fs";
import { renderOptionsDoc } from "./lib/options-doc.js";

writeFileSync(new URL("../docs/options.md", import.meta.url), renderOptionsDoc());
console.log("docs/options.md written");
