import { app } from "./app.js";
import type { Env } from "./env.js";

export { Tenant } from "./objects/tenant.js";
export { Site } from "./objects/site.js";
export { Dn } from "./objects/dn.js";
export { Session } from "./objects/session.js";
export { Call } from "./objects/call.js";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
