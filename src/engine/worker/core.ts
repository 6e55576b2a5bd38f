/** What the parts of a worker share: its identity, its options, its held runs and its wake-up. */
import type { DurableHost } from "../../durable/types.ts";
import type { Store } from "../../store/types.ts";
import type { Emitter } from "../emitter.ts";
import type { AnyTask, WorkerEvents } from "../types.ts";
import type { CompletionBatcher } from "./completions.ts";
import type { Doorbell } from "./doorbell.ts";
import type { HeldRuns } from "./held-runs.ts";
import type { ResolvedWorkerOptions } from "./options.ts";

/** What a worker needs from its engine. */
export interface WorkerHost {
  readonly store: Store;
  readonly tasks: ReadonlyMap<string, AnyTask>;
  /** The engine's clock (epoch ms); the worker reads no other. */
  now(): number;
  ready(): Promise<void>;
  /** The host durable code of this worker's runs gets (store operations bound to `workerId`). */
  durableHost(workerId: string, onProgress: (runId: string, progress: number, message: string | null) => void): DurableHost;
  /** In-process signals: a run finished (for runs.wait), a run was canceled (abort it at once). */
  readonly local: Emitter<{ finished: { id: string }; cancel: { id: string } }>;
  /** Per-worker scheduler (cron schedules), if the engine has one. */
  createScheduler?(): { start(): Promise<void>; stop(): Promise<void> };
}

export type WorkerState = "idle" | "running" | "stopping" | "stopped";

export interface WorkerCore {
  readonly id: string;
  readonly host: WorkerHost;
  readonly store: Store;
  readonly opts: ResolvedWorkerOptions;
  readonly events: Emitter<WorkerEvents>;
  readonly held: HeldRuns;
  readonly bell: Doorbell;
  readonly completions: CompletionBatcher;
  /** Runs a store write, retrying transient errors; rejects when it gives up. */
  persist<T>(write: () => Promise<T>): Promise<T>;
  /** Set when the worker starts. */
  durable: DurableHost;
  readonly state: WorkerState;
  reportError(error: unknown): void;
}
