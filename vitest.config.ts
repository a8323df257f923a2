import { defineConfig } from "vitest/config";

// One `vitest run` drives every suite: worker tests in workerd (vitest-pool-workers), node tests of the
// simulator and link agent, and the end-to-end suite over real sockets.
export default defineConfig({
  test: {
    projects: [
      "worker/vitest.config.ts",
      { test: { name: "shared", include: ["shared/test/**/*.test.ts", "test/docs/**/*.test.ts", "test/deploy/**/*.test.ts"] } },
      { test: { name: "sim", include: ["infra/ucm-sim/test/**/*.test.ts"], testTimeout: 20_000 } },
      { test: { name: "link-agent", include: ["link-agent/test/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          env: { WRANGLER_SEND_METRICS: "false" },
        },
      },
    ],
  },
});
