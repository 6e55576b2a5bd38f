// `errand/dashboard`: the web dashboard (docs/CONTRACT.md §4).
export { createDashboard } from "./dashboard.ts";
export type { Dashboard } from "./dashboard.ts";
export type { DashboardOptions, DashboardAuth } from "./options.ts";
export { toNodeHandler } from "./node.ts";
export type { NodeHandler } from "./node.ts";
export { serveDashboard, isLoopback } from "./serve.ts";
export type { ServeDashboardOptions, DashboardServer } from "./serve.ts";
export { escapeHtml } from "./html.ts";
