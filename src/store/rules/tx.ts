/**
 * The SQL primitives the store rules are built from. Each store implements them once, in its own
 * SQL and row mapping (src/sqlite/tx.ts, src/postgres/tx.ts); every call runs inside the caller's
 * write transaction. Records cross this boundary already mapped (numbers as numbers).
 */
import type { NewRun, NewStep, NewToken, NewWait, RunRecord, RunStatus, TokenRecord } from "../types.ts";

/** A value, or a promise of it: SQLite primitives return values, PostgreSQL primitives promises. */
export type Maybe<T> = T | PromiseLike<T>;

/** An open (or resolved) wait as stored. */
export interface StoredWait {
  readonly runId: string;
  readonly key: string;
  readonly parentKey: string | null;
  readonly kind: NewWait["kind"];
  readonly createdAt: number;
  readonly wakeAt: number | null;
  readonly eventName: string | null;
  readonly match: string | null;
  readonly childRunId: string | null;
  readonly resolvedAt: number | null;
}

/** A run that has just reached a final status, as the rules need it to resolve its parent's wait. */
export interface FinishedRun {
  readonly id: string;
  /** undefined when the store did not read it: the rules then look for a parent's wait on the run anyway. */
  readonly parentRunId: string | null | undefined;
  readonly status: RunStatus;
  readonly output: string | null;
  readonly error: string | null;
}

/** Final statuses a run can be given by the rules (completion by a worker is the store's own SQL). */
export type FinalStatus = Extract<RunStatus, "failed" | "canceled" | "expired">;

export interface RulesTx {
  // --- creating runs
  /** Inserts runs that carry no idempotency key (with their tags). */
  insertRuns(runs: readonly NewRun[], now: number): Maybe<void>;
  /** Inserts one run with an idempotency key unless the key is taken; returns whether it inserted. */
  insertRunIfKeyFree(run: NewRun, now: number): Maybe<boolean>;
  /** The run holding (taskId, key), locked for this transaction where the database locks rows. */
  runByIdempotencyKey(taskId: string, key: string): Maybe<RunRecord | null>;
  releaseIdempotencyKey(runId: string): Maybe<void>;
  /**
   * The pending debounced run of (taskId, key): status queued or delayed, never started. Locked for
   * this transaction where the database locks rows (a claim holding it makes this wait, then miss it).
   */
  pendingDebounced(taskId: string, key: string): Maybe<RunRecord | null>;
  /** Inserts a debounced run (with its tags) unless a pending run holds its (taskId, debounce key); returns whether it inserted. */
  insertRunIfDebounceFree(run: NewRun, now: number): Maybe<boolean>;
  /** Gives a pending debounced run a new payload and `runAt` (never later than its stored `until`); returns it. */
  updateDebounced(id: string, payload: string, runAt: number, now: number): Maybe<RunRecord>;

  // --- finishing runs
  /** Gives an unfinished run a final status (error kept when null); null when it was finished or missing. */
  finishUnfinished(id: string, status: FinalStatus, error: string | null, now: number): Maybe<{ parentRunId: string | null } | null>;
  /** Queued/delayed runs that never started and whose `expiresAt` passed become `expired` (bounded batch). */
  expireUnstarted(now: number, error: string): Maybe<readonly FinishedRun[]>;
  /** Running runs whose lease expired with no attempt left (bounded batch). */
  exhaustedLeases(now: number): Maybe<readonly { readonly id: string; readonly attempt: number }[]>;
  /** Fails a run this worker holds, for good. Null when not held. */
  failHeld(runId: string, workerId: string, error: string, now: number): Maybe<{ parentRunId: string | null } | null>;
  /** Schedules a run this worker holds for another attempt. False when not held. */
  retryHeld(runId: string, workerId: string, error: string, retryAt: number, now: number): Maybe<boolean>;
  unfinishedChildren(id: string): Maybe<readonly string[]>;
  runResult(id: string): Maybe<{ readonly status: RunStatus; readonly output: string | null; readonly error: string | null } | null>;
  /** Waiting runs among `ids` become queued now; returns how many did. */
  wakeRuns(ids: readonly string[], now: number): Maybe<number>;

  // --- suspending a held run
  /** True when `workerId` holds the run (and locks it where the database locks rows). */
  lockHeld(runId: string, workerId: string): Maybe<boolean>;
  requeueHeld(runId: string, now: number): Maybe<void>;
  markWaiting(runId: string, runAt: number, now: number): Maybe<void>;
  /** Earliest `wakeAt` of the run's open waits, or null. */
  nextTimer(runId: string): Maybe<number | null>;

  // --- waits and events
  /** Inserts waits; a wait whose key is stored already keeps its stored row. */
  insertWaits(runId: string, waits: readonly NewWait[]): Maybe<void>;
  waitsByKeys(runId: string, keys: readonly string[]): Maybe<readonly StoredWait[]>;
  /** Writes the wait's key as a completed step with `output` and marks the wait resolved. */
  completeWait(w: StoredWait, output: string, now: number): Maybe<void>;
  /** Marks every open wait of these runs resolved (the runs finished). */
  closeWaitsOfRuns(ids: readonly string[], now: number): Maybe<void>;
  /** Open child waits on any of these runs. */
  openChildWaits(childIds: readonly string[]): Maybe<readonly StoredWait[]>;
  /** Open waits of these runs whose timer is due. */
  dueTimers(runIds: readonly string[], now: number): Maybe<readonly StoredWait[]>;
  insertEvent(id: string, name: string, payload: string, now: number): Maybe<void>;
  /** Open event waits for `name` that began at or before `now`, oldest first. */
  openEventWaits(name: string, now: number): Maybe<readonly StoredWait[]>;
  /** Payloads of events named `name` sent in [since, now], in the order they were sent. */
  eventsSince(name: string, since: number, now: number): Maybe<readonly string[]>;

  // --- events that start runs (rules/events.ts)
  /** Inserts an event with an idempotency key unless an event of this name holds the key; returns whether it inserted. */
  insertEventIfKeyFree(id: string, name: string, payload: string, key: string, now: number): Maybe<boolean>;
  /** The id of the event of this name holding `key`, or null. */
  eventIdByKey(name: string, key: string): Maybe<string | null>;
  /** Records that the event started these runs. */
  linkEventRuns(eventId: string, eventName: string, runIds: readonly string[]): Maybe<void>;
  /** The runs the event started, oldest first. */
  runsOfEvent(eventId: string): Maybe<readonly RunRecord[]>;

  // --- waitpoint tokens (rules/tokens.ts, rules/token-waits.ts)
  insertToken(runId: string, token: NewToken): Maybe<void>;
  /** Saves a step of a run this transaction holds, as `Store.saveStep` does (a completed step is never overwritten). */
  saveHeldStep(runId: string, workerId: string, step: NewStep): Maybe<void>;
  /** The token; with `lock`, locked for this transaction where the database locks rows. */
  tokenById(id: string, lock: boolean): Maybe<TokenRecord | null>;
  /** The run's token created under `key`, locked for this transaction where the database locks rows. */
  tokenByKey(runId: string, key: string): Maybe<TokenRecord | null>;
  /** Gives a waiting token its final status (and, when completed, its output). */
  finishToken(id: string, status: "completed" | "expired", output: string | null, now: number): Maybe<void>;
  /** The run's status, locked for this transaction where the database locks rows; null when missing. */
  lockRunStatus(id: string): Maybe<RunStatus | null>;
  /**
   * Open waits on the run's token `tokenKey`. Where the database locks rows, a wait another transaction
   * holds is skipped: that transaction (a due timer, a suspend) resolves it from the token's state.
   */
  openTokenWaits(runId: string, tokenKey: string): Maybe<readonly StoredWait[]>;
}

/** The part of {@link RulesTx} that events and waitpoint tokens use (each store's events-tokens.ts). */
export type EventTokenTx = Pick<
  RulesTx,
  | "insertEventIfKeyFree"
  | "eventIdByKey"
  | "linkEventRuns"
  | "runsOfEvent"
  | "insertToken"
  | "saveHeldStep"
  | "tokenById"
  | "tokenByKey"
  | "finishToken"
  | "lockRunStatus"
  | "openTokenWaits"
>;
