// What the demo needs to know of the simulator's config: each site's devices, its application user
// and the remote destinations (the DN plan printed by `npm start` and provisioned as DN objects).
import { loadConfig } from "../../infra/ucm-sim/src/config.js";
import type { DeviceKind } from "./provision.js";

export interface SimPlan {
  devices: Record<string, Array<{ dn: string; kind: DeviceKind }>>;
  users: Record<string, { user: string; password: string }>;
  remoteDestinations: Record<string, Array<{ terminal: string; number: string; name: string }>>;
}

export function readSimPlan(path: string): SimPlan {
  const config = loadConfig(path);
  const plan: SimPlan = { devices: {}, users: {}, remoteDestinations: {} };
  for (const c of config.clusters) {
    plan.devices[c.name] = c.devices.map((d) => ({ dn: d.dn, kind: d.kind }));
    plan.users[c.name] = { user: c.users[0]!.user, password: c.users[0]!.password };
    plan.remoteDestinations[c.name] = c.devices.flatMap((d) => d.remoteDestinations.map((rd) => ({ terminal: d.dn, ...rd })));
  }
  return plan;
}
