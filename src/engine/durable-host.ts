/**
 * The narrow host a worker hands to durable code (`src/durable/`): the store operations a run attempt
 * performs, bound to the worker that holds the run (so durable code never sees the whole `Store`, nor
 * a worker id), the engine's clock, and child triggers through the engine's trigger path.
 */
import type { ChildTrigger, DurableHost } from "../durable/types.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { DEFAULT_LIMITS, type ResolvedLimits } from "../vocabulary/limits.ts";
import type { RunHandle } from "../vocabulary/runs.ts";

export interface DurableHostDeps {
  readonly store: Store;
  /** The worker whose lease fences step writes. */
  readonly workerId: string;
  now(): number;
  /** @default DEFAULT_LIMITS */
  readonly limits?: ResolvedLimits;
  triggerChildren(parent: RunRecord, items: readonly ChildTrigger[]): Promise<readonly RunHandle[]>;
  /** Where a token can be completed over HTTP, or null (`createEngine({ dashboardUrl })`). */
  tokenUrl?(id: string): string | null;
  /** Told once a progress update is stored (the worker emits `run:progress`). */
  onProgress?(runId: string, progress: number, message: string | null): void;
  /** How attempts wait on the engine's clock (a step's retry back-off). @default real timers */
  readonly pause?: DurableHost["pause"];
}

export function createDurableHost(deps: DurableHostDeps): DurableHost {
  const { store, workerId, now, onProgress, limits = DEFAULT_LIMITS, pause } = deps;
  return {
    ...(pause === undefined ? {} : { pause }),
    now,
    limits,
    saveStep: (runId, step) => store.saveStep({ workerId, runId, step, now: now() }),
    appendLogs: (runId, logs) => store.appendLogs({ runId, logs }),
    async reportProgress(runId, progress, message) {
      await store.setProgress({ runId, progress, message, now: now() });
      onProgress?.(runId, progress, message);
    },
    triggerChildren: (parent, items) => deps.triggerChildren(parent, items),
    createToken: (runId, token, step) => store.createToken({ workerId, runId, token, step, now: now() }),
    tokenUrl: (id) => deps.tokenUrl?.(id) ?? null,
  };
}
