// `errand/dashboard`: the web dashboard (docs/CONTRACT.md §4).
export { createDashboard } from "./dashboard.ts";
export type { Dashboard } from "./dashboard.ts";
export type { DashboardOptions, DashboardAuth } from "./options.ts";
export type { ClientInfo } from "./origin.ts";
export type { SessionInfo, SessionRevocations } from "./revocations.ts";
export { toNodeHandler } from "./node.ts";
export type { NodeHandler } from "./node.ts";
export { serveDashboard } from "./serve.ts";
export type { ServeDashboardOptions, DashboardServer } from "./serve.ts";
