// The API reference as a page (/v1/docs), rendered here from the generated OpenAPI document: no CDN, no
// client-side framework, readable without JavaScript.
import { openapiDocument } from "./openapi.js";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
type Json = Record<string, any>;

function schemaText(schema: Json | undefined): string {
  if (!schema) return "";
  if (schema.$ref) {
    const id = String(schema.$ref).split("/").pop()!;
    return `<a href="#schema-${esc(id)}">${esc(id)}</a>`;
  }
  return `<code>${esc(JSON.stringify(schema))}</code>`;
}

export function renderDocs(origin: string): string {
  const doc = openapiDocument(origin) as Json;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(methods as Json)) {
      const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
      toc.push(`<li><a href="#${id}"><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`);
      const security = (op.security ?? doc.security) as Json[];
      const params = (op.parameters ?? []) as Json[];
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses as Json).map(([code, r]) =>
        `<tr><td>${esc(code)}</td><td>${esc(r.description)}</td><td>${schemaText(r.content?.["application/json"]?.schema)}</td></tr>`).join("");
      ops.push(`<section id="${id}" aria-labelledby="${id}-h"><h3 id="${id}-h"><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)}</p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
<p><strong>Credential:</strong> ${security.length ? security.map((s) => esc(Object.keys(s).join(" + "))).join(" or ") : "none"}</p>
${params.length ? `<p><strong>Parameters:</strong> ${params.map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)}) ${esc(p.description ?? "")}`).join("; ")}</p>` : ""}
${body ? `<p><strong>Body:</strong> ${schemaText(body)}</p>` : ""}
<table><thead><tr><th scope="col">status</th><th scope="col">meaning</th><th scope="col">body</th></tr></thead><tbody>${responses}</tbody></table></section>`);
    }
  }
  const schemas = Object.entries(doc.components.schemas as Json).map(([id, s]) =>
    `<section id="schema-${esc(id)}"><h3>${esc(id)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)} reference</title><style>
body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#fff}main{max-width:64rem;margin:0 auto;padding:1rem 1.5rem}
a{color:#0645ad}code,pre{font:14px ui-monospace,monospace}pre{background:#f4f4f4;padding:.75rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
.m{display:inline-block;min-width:4.2rem;font-weight:700}.get{color:#05512b}.post{color:#0b3f8c}.put{color:#7a4300}.delete{color:#8b0000}
section{border-top:1px solid #ddd;padding-top:.5rem}ul{columns:2}
</style></head><body><main><h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p><p>Server: <code>${esc(origin)}</code>. Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<nav aria-label="operations"><h2>Operations</h2><ul>${toc.join("")}</ul></nav>
<h2>Operations in detail</h2>${ops.join("")}<h2>Schemas</h2>${schemas}</main></body></html>`;
}
