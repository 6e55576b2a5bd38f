/** The worker: claims, executes and completes runs (see worker.ts and docs/ARCHITECTURE.md, "Held run"). */
export { createWorker } from "./worker.ts";
export type { WorkerHost } from "./core.ts";
export { validateWorkerOptions, type ResolvedWorkerOptions } from "./options.ts";
