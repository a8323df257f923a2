import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token-0123456789abcdef0123", LOG_LEVEL: "warn" } },
    }),
  ],
  // workerd tests take a few seconds each on a loaded machine
  test: { name: "worker", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});
