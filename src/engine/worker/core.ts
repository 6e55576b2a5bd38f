/** What the parts of a worker share: its identity, its options, its held runs and its wake-up. */
import type { DurableHost } from "../../durable/types.ts";
import type { ClaimedRun, NewRun, Store } from "../../store/types.ts";
import type { Emitter } from "../emitter.ts";
import type { AnyTask, WorkerEvents } from "../types.ts";
import type { CompletionBatcher } from "./completions.ts";
import type { Doorbell } from "./doorbell.ts";
import type { HeldRuns } from "./held-runs.ts";
import type { ResolvedWorkerOptions } from "./options.ts";
import type { Prefetch } from "./prefetch.ts";

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
  /**
   * The engine's registry of workers a trigger may hand a run to (handoff.ts): a running worker is in
   * it, a stopping one is not. Absent: no handoff.
   */
  readonly handoffs?: Set<HandoffTarget>;
  /**
   * Queues this engine's tasks configure without a concurrency or rate limit: the release of a run
   * completed in one of them makes no other run claimable (claims.ts). Absent: none known.
   */
  readonly unlimitedQueues?: ReadonlySet<string>;
}

/** A running worker of this process that may take a triggered run straight from the trigger (handoff.ts). */
export interface HandoffTarget {
  /** A slot reserved for `run` when the worker serves its task and queue and is idle; else null. */
  reserve(run: NewRun): HandoffSlot | null;
}

/** A slot a worker reserved for one triggered run, until the trigger's insert is answered. */
export interface HandoffSlot {
  readonly workerId: string;
  readonly queues: readonly string[] | null;
  readonly taskIds: readonly string[];
  readonly leaseMs: number;
  /**
   * The insert committed: `claimed` is the run leased to this worker (it starts now), or null when
   * the store inserted it queued (the worker claims as usual). `now` is the time of the insert.
   */
  take(claimed: ClaimedRun | null, now: number): void;
  /** The insert failed: the slot is free again. */
  giveBack(): void;
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
  readonly prefetch: Prefetch;
  /** Runs a store write, retrying transient errors; rejects when it gives up. */
  persist<T>(write: () => Promise<T>): Promise<T>;
  /** Slots reserved for runs a trigger is handing over (handoff.ts): counted as in use. */
  readonly slots: { reserved: number };
  /**
   * Ids of runs whose completion, once written, makes no other run claimable (an unlimited queue,
   * no parent): their release asks for no claim (claims.ts). Filled when they settle (attempts.ts).
   */
  readonly quietReleases: Set<string>;
  /** Runs this turn may still start; the loop sets it on each wake-up (see startBuffered). */
  readonly turn: { startsLeft: number };
  /** Set when the worker starts. */
  durable: DurableHost;
  /** Set right after the core is made. */
  leases: LeaseKeeper;
  readonly state: WorkerState;
  reportError(error: unknown): void;
}

/** Leases of the runs a worker holds (leases.ts). */
export interface LeaseKeeper {
  /**
   * Loses every run whose lease expired by `now` (engine clock). Those that never started are handed
   * back (a hand-back is not an attempt), so that a claim, this worker's own included, does not count a
   * takeover of a run that never ran; resolves once they are (at once when there are none).
   */
  expireOwn(now: number): Promise<void>;
  /** Renews every lease in one store call (skipped while the previous one is in flight). */
  heartbeat(): Promise<void>;
  /** A run was canceled (in this process): drop it if buffered, abort it if executing. */
  canceled(runId: string): void;
}

/** Slots in use: runs executing plus slots reserved for runs a trigger is handing over (handoff.ts). */
export function slotsInUse(w: WorkerCore): number {
  return w.held.running + w.slots.reserved;
}
