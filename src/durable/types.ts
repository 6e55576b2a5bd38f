/**
 * The narrow interface through which the engine hands an attempt to `src/durable/`. The durable
 * helper owns the implementation; the engine calls {@link CreateRunContext} per attempt. The task
 * and run-context types users see are in `task.ts`.
 */
import type { ClaimedRun, NewWait, Store, RunRecord } from "../store/types.ts";
import type { RunHandle, TriggerOptions } from "../vocabulary/runs.ts";
import type { AnyTask, RunContext } from "./task.ts";

/** One child run to insert for a parent (engine's trigger path: validation, defaults, idempotency). */
export interface ChildTrigger {
  readonly task: AnyTask;
  readonly payload: unknown;
  readonly options: TriggerOptions;
}

/** What the engine provides to a run attempt. */
export interface DurableHost {
  readonly store: Store;
  readonly workerId: string;
  now(): number;
  /** Validates and inserts runs (one transaction) with `parentRunId` set; idempotency keys come from the caller. */
  triggerChildren(parent: RunRecord, items: readonly ChildTrigger[]): Promise<readonly RunHandle[]>;
}

export type AttemptOutcome =
  | { readonly kind: "completed"; readonly output: unknown }
  /** `error` is the raw thrown value; the engine decides about retries. */
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "suspended"; readonly waits: readonly NewWait[] };

export interface AttemptSetup {
  readonly claimed: ClaimedRun;
  /** Aborted on cancel, timeout and shutdown. */
  readonly signal: AbortSignal;
  readonly host: DurableHost;
}

export interface AttemptHandle {
  readonly ctx: RunContext;
  /**
   * Settles the attempt: races `work` (the task's run wrapped in hooks) against a suspension
   * (sleep / wait for children / wait for event with no stored result). On suspension it waits for
   * steps already in flight to be stored first. Flushes buffered logs before resolving.
   */
  settle(work: Promise<unknown>): Promise<AttemptOutcome>;
}

export type CreateRunContext = (setup: AttemptSetup) => AttemptHandle;
