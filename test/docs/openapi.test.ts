// The served OpenAPI document is valid OpenAPI 3.1, resolves every $ref, declares every path parameter,
// and holds every route that docs/client-api.md promises, with the attributes transfers need.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { openapiDocument } from "../../worker/src/routes/openapi.js";

const doc = openapiDocument("https://tserver.example.com") as any;
const methods = ["get", "put", "post", "delete", "patch"];

describe("/v1/openapi.json", () => {
  it("is valid OpenAPI 3.1 by the official schema", async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "https://tserver.example.com" }]);
  });

  it("declares every path parameter and resolves every $ref", () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const m of methods.filter((m) => item[m])) {
        const declared = (item[m].parameters ?? []).filter((p: any) => p.in === "path").map((p: any) => p.name).sort();
        expect(declared, `${m} ${path}`).toEqual(inPath);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const target = ref.replace(/^#\//, "").split("/").reduce<any>((o, k) => o?.[k], doc);
      expect(target, ref).toBeTypeOf("object");
    }
  });

  it("gives every operation a response schema for success and for errors, and a security requirement", () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const m of methods.filter((m) => item[m])) {
        const op = item[m];
        const codes = Object.keys(op.responses);
        expect(codes.some((c) => c.startsWith("2") || c === "101"), `${m} ${path}`).toBe(true);
        if (op.security?.length === 0) continue; // public: /healthz, the document itself
        expect(codes.filter((c) => Number(c) >= 400).length, `${m} ${path} errors`).toBeGreaterThan(0);
        for (const c of codes.filter((c) => Number(c) >= 400)) expect(op.responses[c].content?.["application/json"]?.schema?.$ref, `${m} ${path} ${c}`).toMatch(/Error$/);
        for (const s of op.security ?? doc.security) for (const name of Object.keys(s)) expect(doc.components.securitySchemes[name]).toBeDefined();
        // every credential counts against the key's rate limits (docs/client-api.md "Rate limits")
        expect(op.responses[429]?.headers?.["Retry-After"], `${m} ${path} 429`).toBeDefined();
      }
    }
  });

  it("holds every route docs/client-api.md names", () => {
    const text = readFileSync("docs/client-api.md", "utf8");
    const named = [...text.matchAll(/`((?:GET|PUT|POST|DELETE)(?:\|(?:GET|PUT|POST|DELETE))*) (\/v1\/[^`?\s]*)[^`]*`/g)];
    expect(named.length).toBeGreaterThan(12);
    for (const [, verbs, path] of named) {
      const openapiPath = path!.replace(/<([a-z]+)>/g, "{$1}");
      for (const verb of verbs!.split("|")) expect(doc.paths[openapiPath]?.[verb.toLowerCase()], `${verb} ${path}`).toBeDefined();
    }
  });

  it("describes a request as the worker validates it: transferConnID allowed, unknown attributes not", () => {
    const request = doc.components.schemas.Request;
    expect(request.additionalProperties).toBe(false);
    expect(request.properties.transferConnID).toMatchObject({ type: "string", pattern: "^[0-9a-f]{16}$" });
    expect(request.properties.request.enum).toContain("RequestCompleteTransfer");
    expect(request.required).toEqual(["sessionId", "request"]);
    expect(doc.components.schemas.DnObject.properties.number).toBeDefined();
  });
});
