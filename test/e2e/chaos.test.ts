// The fault campaign of `npm run chaos` (issue 12), shortened for CI: one fault of each kind (uplink
// dropped, uplink stalled, client socket killed, link agent kill -9, switch links dropped, control plane
// kill -9 on its persisted state) with a call per DN pair around each. The script is the real program:
// it starts its own stack, prints a line per fault and the totals, and exits non-zero on a loss, a
// duplicate or a DN state that took more than 5 s to match the switch.
import { describe, expect, it } from "vitest";
import { startChild } from "../../scripts/lib/processes.js";

describe("fault campaign", () => {
  it("one fault of each kind, a control-plane kill -9 among them: nothing acknowledged is lost or doubled, DN state matches the switch within 5 s", async () => {
    const chaos = startChild("chaos", process.execPath, ["--import", "tsx", "scripts/chaos.ts", "--faults", "6", "--calls-per-fault", "1", "--stall-seconds", "2"]);
    const exited = new Promise<number | null>((resolve) => chaos.proc.once("exit", (code) => resolve(code)));
    try {
      const total = await chaos.waitFor(/^total: /, 170_000);
      const m = /^total: (\d+) faults, (\d+) calls, (\d+) events expected, (\d+) received, (\d+) lost, (\d+) duplicated, (\d+) out of order; DN state matched the switch at most ([\d.]+) s/.exec(total);
      expect(m, total).not.toBeNull();
      const [, faults, calls, expected, received, lost, duplicated, outOfOrder, converged] = m!.map(Number);
      expect({ faults, lost, duplicated, outOfOrder }).toEqual({ faults: 6, lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(calls).toBeGreaterThanOrEqual(6 * 2);
      expect(expected).toBe(calls! * 6);
      expect(received).toBe(expected);
      expect(converged).toBeLessThanOrEqual(5);
      // the control plane was really killed and came back
      expect(await chaos.waitFor(/^control plane restarts: 1;/)).toMatch(/down .* s, link of the agent back/);
      expect(await chaos.waitFor(/^control plane kill -9 /)).toMatch(/^control plane kill -9\s+\d+\s+\d+\s+\d+\s+0\s+0\s+0\s/);
      expect(await exited).toBe(0);
    } finally {
      await chaos.stop();
    }
  }, 180_000);
});
