// The bindings the tests see through `env` from cloudflare:workers are the worker's own.
import type { Env as WorkerEnv } from "../src/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
