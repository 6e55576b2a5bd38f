/**
 * One execution of a claimed run: hooks around `run`, the durable context, and the decision the
 * worker writes (completed / retry / failed / suspended).
 *
 * Hook order, per execution (attempts and resumes alike, since `run` replays from the top):
 *   init → middleware({ next }) wrapping [ onStart (first execution of the run only) → run ] → cleanup
 * then, when the execution threw: catchError (may change the retry decision);
 * then, when the run's outcome is final: onSuccess or onFailure.
 * On suspension (sleep, child runs, events) cleanup runs; onSuccess/onFailure do not.
 */
import { createRunContext } from "../durable/index.ts";
import type { RunContext } from "../durable/task.ts";
import type { AttemptHandle, AttemptOutcome, DurableHost, Interrupt } from "../durable/types.ts";
import type { ClaimedRun, NewWait, RunRecord } from "../store/types.ts";
import type { RunInfo } from "../vocabulary/runs.ts";
import { NonRetriableError, RetryAfterError, RunCanceledError } from "../vocabulary/errors.ts";
import { toTime } from "../vocabulary/duration.ts";
import { toJson } from "../vocabulary/json.ts";
import { jsonCap } from "../vocabulary/limits.ts";
import { backoffMs } from "../vocabulary/retry.ts";
import { serializeError, type SerializedError } from "../vocabulary/serialize-error.ts";
import { taskInternals } from "./define-task.ts";
import type { AttemptTelemetry } from "./tracing/run-span.ts";
import { validatePayload } from "./trigger.ts";
import type { AnyTask, CatchErrorResult, HookParams } from "./types.ts";

export type Decision =
  | { readonly kind: "completed"; readonly output: unknown; readonly outputJson: string }
  | { readonly kind: "retry"; readonly error: SerializedError; readonly retryAt: number }
  | { readonly kind: "failed"; readonly error: SerializedError }
  | { readonly kind: "suspended"; readonly waits: readonly NewWait[] };

export interface AttemptReport {
  readonly decision: Decision;
  /** Errors thrown by cleanup/onSuccess/onFailure (they do not change the decision). */
  readonly hookErrors: readonly unknown[];
}

/** How the worker controls one attempt: its abort signal, and ending it at once (timeout, cancel, stop). */
export interface AttemptControl extends Interrupt {
  /** The attempt's abort signal, made on first use (most runs never look at it). */
  signal(): AbortSignal;
  /** Why the attempt was aborted; undefined while it is not. */
  readonly abortReason: unknown;
}

/** What the hooks of one execution see; `params` is set once the payload is valid. */
interface HookState {
  payload: unknown;
  params: HookParams<unknown> | null;
}

/** No hook errors (shared: a completed run with no hooks allocates no list). */
const NO_HOOK_ERRORS: readonly unknown[] = Object.freeze([]);

/**
 * Runs one attempt. A task without hooks and without a schema whose `run` returns a plain value
 * (not a promise) while nothing is pending (no step in flight, no wait, no log line buffered) is
 * decided at once: the report is returned, not a promise (a no-op run costs no promise at all).
 */
export function executeAttempt(
  task: AnyTask,
  claimed: ClaimedRun,
  info: RunInfo,
  host: DurableHost,
  control: AttemptControl,
  /** The attempt's tracing (the caller runs this function inside its span). */
  telemetry: AttemptTelemetry | null = null,
): AttemptReport | Promise<AttemptReport> {
  const run = claimed.run;
  const opts = task.options;
  const handle = createRunContext({
    claimed,
    host,
    info,
    signal() {
      return control.signal();
    },
    trace: telemetry?.trace ?? null,
  });
  const ctx: RunContext = handle.ctx;
  if (!plain(opts)) {
    const state: HookState = { payload: null, params: null };
    const firstExecution = run.attempt === 1 && claimed.steps.length === 0;
    return afterRun(task, run, info, host, control, handle, state, runWithHooks(task, ctx, run.payload, firstExecution, state));
  }
  // No hooks: parse, run, and decide at once when `run` returned a value and nothing is pending.
  let payload: unknown = null;
  let parsed = false;
  let returned: unknown;
  let thenable: boolean;
  try {
    payload = JSON.parse(run.payload);
    parsed = true;
    returned = opts.run(payload, ctx);
    thenable = returned !== null && (typeof returned === "object" || typeof returned === "function") && typeof (returned as { then?: unknown }).then === "function";
  } catch (error) {
    return afterRun(task, run, info, host, control, handle, plainState(payload, parsed, ctx, info), Promise.reject(error));
  }
  if (!thenable && handle.quiet()) return completedReport(task, host, returned, null, payload, ctx, info);
  return afterRun(task, run, info, host, control, handle, plainState(payload, parsed, ctx, info), Promise.resolve(returned));
}

/** A task with no hook around `run` and no payload schema. */
function plain(opts: AnyTask["options"]): boolean {
  return (
    opts.init === undefined &&
    opts.middleware === undefined &&
    opts.onStart === undefined &&
    opts.cleanup === undefined &&
    opts.onSuccess === undefined &&
    opts.schema === undefined
  );
}

/** The hook state of a plain run (what `runWithHooks` would have recorded). */
function plainState(payload: unknown, parsed: boolean, ctx: RunContext, info: RunInfo): HookState {
  return { payload, params: parsed ? { payload, ctx, run: info } : null };
}

/** The stored form of a run's output (`null` and `undefined` need no walk). */
function outputJsonOf(task: AnyTask, host: DurableHost, output: unknown): string {
  if (output === null || output === undefined) return "null";
  return toJson(output, `the output of task "${task.id}"`, jsonCap(host.limits, "outputBytes"));
}

/**
 * The rest of an attempt once `work` (the run, wrapped in its hooks) is under way: its outcome, then
 * the decision. A task that ignores ctx.signal still ends its attempt on timeout/cancel/stop (its code
 * may run on in the background, but the slot is freed and the decision is written).
 */
function afterRun(
  task: AnyTask,
  run: RunRecord,
  info: RunInfo,
  host: DurableHost,
  control: AttemptControl,
  handle: AttemptHandle,
  state: HookState,
  work: Promise<unknown>,
): Promise<AttemptReport> {
  const opts = task.options;
  return handle.settle(work, control).then((outcome) =>
    // Completed with no hook left to run: decided here, without another async step.
    outcome.kind === "completed" && opts.cleanup === undefined && opts.onSuccess === undefined
      ? completedReport(task, host, outcome.output, state.params, state.payload, handle.ctx, info)
      : decide(task, run, info, host, control, handle, state, outcome),
  );
}

/** The report of a run that returned `output` (a failure if the output cannot be stored). */
function completedReport(
  task: AnyTask,
  host: DurableHost,
  output: unknown,
  params: HookParams<unknown> | null,
  payload: unknown,
  ctx: RunContext,
  info: RunInfo,
): AttemptReport | Promise<AttemptReport> {
  let outputJson: string;
  try {
    outputJson = outputJsonOf(task, host, output);
  } catch (error) {
    return finalFailure(task, params ?? { payload, ctx, run: info }, error, []);
  }
  return { decision: { kind: "completed", output, outputJson }, hookErrors: NO_HOOK_ERRORS };
}

/** The decision once the outcome is known: cleanup, then onSuccess, or retry / catchError / onFailure. */
async function decide(
  task: AnyTask,
  run: RunRecord,
  info: RunInfo,
  host: DurableHost,
  control: AttemptControl,
  handle: AttemptHandle,
  state: HookState,
  outcome: AttemptOutcome,
): Promise<AttemptReport> {
  const opts = task.options;
  const ctx: RunContext = handle.ctx;
  const hookErrors: unknown[] = [];
  const params = state.params;
  if (params !== null && opts.cleanup) {
    try {
      await opts.cleanup(params);
    } catch (error) {
      hookErrors.push(error);
    }
  }
  const hookParams: HookParams<unknown> = params ?? { payload: state.payload, ctx, run: info };

  if (outcome.kind === "suspended") return { decision: { kind: "suspended", waits: outcome.waits }, hookErrors };

  if (outcome.kind === "completed") {
    let outputJson: string;
    try {
      outputJson = outputJsonOf(task, host, outcome.output);
    } catch (error) {
      return finalFailure(task, hookParams, error, hookErrors);
    }
    if (opts.onSuccess) {
      try {
        await opts.onSuccess({ ...hookParams, output: outcome.output });
      } catch (error) {
        hookErrors.push(error);
      }
    }
    return { decision: { kind: "completed", output: outcome.output, outputJson }, hookErrors };
  }

  // failed: retry or not?
  const error = outcome.error;
  const now = host.now();
  let retryAt: number | null = null;
  const attemptsLeft = run.attempt < run.maxAttempts;
  if (attemptsLeft && !isInstance(error, NonRetriableError) && !(control.abortReason instanceof RunCanceledError)) {
    const policy = taskInternals(task)!.retry;
    retryAt = now + (retryAfterMs(error) ?? backoffMs(policy, run.attempt));
  }
  if (opts.catchError) {
    try {
      const r = (await opts.catchError({ ...hookParams, error, retryAt: retryAt === null ? null : new Date(retryAt) })) as
        | CatchErrorResult
        | undefined;
      if (r?.skipRetrying) retryAt = null;
      else if (r?.retryAtMs !== undefined && attemptsLeft) retryAt = toTime(r.retryAtMs, `task "${task.id}": catchError's \`retryAtMs\``);
    } catch (hookError) {
      hookErrors.push(hookError);
    }
  }
  if (retryAt !== null) return { decision: { kind: "retry", error: serializeError(error), retryAt }, hookErrors };
  return finalFailure(task, hookParams, error, hookErrors);
}

async function finalFailure(
  task: AnyTask,
  params: HookParams<unknown>,
  error: unknown,
  hookErrors: unknown[],
): Promise<AttemptReport> {
  const serialized = serializeError(error);
  if (task.options.onFailure) {
    try {
      await task.options.onFailure({ ...params, error: serialized });
    } catch (hookError) {
      hookErrors.push(hookError);
    }
  }
  return { decision: { kind: "failed", error: serialized }, hookErrors };
}

/** `instanceof` that is false, not a throw, for a Proxy whose getPrototypeOf trap throws. */
function isInstance(value: unknown, ctor: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof ctor;
  } catch {
    return false;
  }
}

/** The delay a thrown RetryAfterError asks for, or undefined. */
function retryAfterMs(error: unknown): number | undefined {
  if (!isInstance(error, RetryAfterError)) return undefined;
  try {
    const ms = (error as RetryAfterError).delayMs;
    return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** The report for a claimed run whose task this process does not know (workers claim only their own: never expected). */
export function unregisteredTask(taskId: string): AttemptReport {
  const error = new Error(`task "${taskId}" is not registered in this worker`);
  return { decision: { kind: "failed", error: serializeError(error) }, hookErrors: [] };
}

/** init → middleware({ next }) wrapping [ onStart (first execution only) → run ]; resolves to run's output. */
async function runWithHooks(task: AnyTask, ctx: RunContext, payloadJson: string, firstExecution: boolean, state: HookState): Promise<unknown> {
  const opts = task.options;
  const parsed: unknown = JSON.parse(payloadJson);
  const payload = opts.schema === undefined ? parsed : await validatePayload(task, parsed);
  state.payload = payload;
  const p: HookParams<unknown> = { payload, ctx, run: ctx.run };
  state.params = p;
  if (opts.init) (ctx as { init: unknown }).init = await opts.init(p);
  if (!opts.middleware) return runTask(task, p, firstExecution);
  let output: unknown;
  await opts.middleware({
    ...p,
    async next() {
      output = await runTask(task, p, firstExecution);
    },
  });
  return output;
}

async function runTask(task: AnyTask, p: HookParams<unknown>, firstExecution: boolean): Promise<unknown> {
  if (firstExecution && task.options.onStart) await task.options.onStart(p);
  return task.options.run(p.payload, p.ctx as RunContext);
}
