import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", LOG_LEVEL: "warn" } },
    }),
  ],
  test: { name: "worker", include: ["test/**/*.test.ts"] },
});
