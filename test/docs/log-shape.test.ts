// The worker and the link agent log in one shape, so that one query reads both (docs/deploying.md
// "Observe"): {"level":"info","time":"<ISO 8601>","program":...,...context,"msg":"..."} per line.
import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../worker/src/log.js";
import { createLogger } from "../../link-agent/src/log.js";

afterEach(() => vi.restoreAllMocks());

describe("log lines", () => {
  it("have the same keys in the same order in the worker and the link agent", () => {
    const workerLines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void workerLines.push(line));
    log.info("site link up", { site: "site-a", link: "link-1" });

    const agentLines: string[] = [];
    const agent = createLogger("info", { site: "site-a" }, { write: (line: string) => void agentLines.push(line) });
    agent.info({ link: "link-1" }, "switch link up");

    const [w, a] = [JSON.parse(workerLines[0]!), JSON.parse(agentLines[0]!)];
    expect(Object.keys(w)).toEqual(["level", "time", "program", "site", "link", "msg"]);
    expect(Object.keys(a)).toEqual(["level", "time", "program", "site", "link", "msg"]);
    expect([w.level, w.program, a.level, a.program]).toEqual(["info", "worker", "info", "link-agent"]);
    for (const line of [w, a]) expect(new Date(line.time).toISOString()).toBe(line.time);
  });
});
