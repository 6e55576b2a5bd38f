/**
 * Executing one step: stored result → returned without calling `fn`; otherwise `fn` runs with
 * retries (per the step's policy), its JSON result is stored, and the stored form is returned (so a
 * first execution and a replay see the same value). Failures are stored as failed steps.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { StepKind, StepRecord } from "../store/types.ts";
import { LeaseLostError, StepTimeoutError, UnstorableValueError } from "../vocabulary/errors.ts";
import { MAX_TIMER_MS, toMs } from "../vocabulary/duration.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import type { JsonCap } from "../vocabulary/limits.ts";
import { backoffMs, retryPolicy, type RetryPolicy } from "../vocabulary/retry.ts";
import { describeThrown, serializeError } from "../vocabulary/serialize-error.ts";
import type { StepOptions, StepScope } from "./task.ts";
import type { RunTrace } from "./types.ts";

/** A step retries only when asked: one try by default. */
export const STEP_DEFAULT_RETRY: RetryPolicy = { maxAttempts: 1, factor: 2, minDelayMs: 1000, maxDelayMs: 60_000, randomize: true };

/** The step path the current code runs in (for log keys). */
export const currentStep = new AsyncLocalStorage<string>();

export interface StepRuntime {
  readonly runId: string;
  readonly stored: Map<string, StepRecord>;
  readonly signal: AbortSignal;
  now(): number;
  /** Persists a finished step; false when the worker no longer holds the run. */
  save(step: {
    key: string;
    parentKey: string | null;
    kind: StepKind;
    status: "completed" | "failed";
    output: string | null;
    error: string | null;
    attempts: number;
    startedAt: number;
    finishedAt: number;
    childRunId: string | null;
  }): Promise<boolean>;
  /** Set once the execution suspends: new steps then never start. */
  suspending(): boolean;
  /** Forgets the keys used under `path/` in this execution, so a retried step can use them again. */
  releaseKeysUnder(path: string): void;
  /** Never-settling promise for calls made after suspension began. */
  parked<T>(): Promise<T>;
  track<T>(p: Promise<T>): Promise<T>;
  /** What a step's result may be (limits.stepOutputBytes, limits.jsonDepth). */
  readonly stepCap: JsonCap;
  /** The attempt's tracing, or null when no tracer records. */
  readonly trace: RunTrace | null;
  /** Waits `ms` of the engine's time (a retry back-off); rejects when `signal` aborts. */
  pause(ms: number, signal: AbortSignal): Promise<void>;
}

export async function executeStep<T>(
  rt: StepRuntime,
  path: string,
  parentKey: string | null,
  kind: StepKind,
  fn: (s: StepScope) => Promise<T> | T,
  options: StepOptions | undefined,
  child: (parent: string) => StepScope["step"],
): Promise<T> {
  const stored = rt.stored.get(path);
  if (stored?.status === "completed") {
    rt.trace?.event("errand.step.replayed", { "errand.step.key": path, "errand.step.kind": kind }, parentKey);
    return fromJson<T>(stored.output);
  }
  if (rt.suspending()) return rt.parked<T>();
  const policy = retryPolicy(options?.retry, `step "${path}"`, STEP_DEFAULT_RETRY);
  const timeoutMs =
    options?.timeoutMs === undefined ? undefined : toMs(options.timeoutMs, `step "${path}": option \`timeoutMs\``, { positive: true, max: MAX_TIMER_MS });
  const startedAt = rt.now();
  const tries = async (): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const scope = new StepTry(rt, path, attempt, child(path));
      let timer: ReturnType<typeof setTimeout> | null = null;
      try {
        const work = currentStep.run(path, () => Promise.resolve().then(() => fn(scope)));
        const value = await (timeoutMs === undefined
          ? work
          : Promise.race([
              work,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const e = new StepTimeoutError(`step "${path}" timed out after ${timeoutMs} ms (try ${attempt})`);
                  scope.abort(e);
                  reject(e);
                }, timeoutMs);
              }),
            ]));
        // Not storable (BigInt, cycle, …) is a bug in the step, not bad luck: no retry.
        const json = toJson(value, `the output of step "${path}"`, rt.stepCap);
        const saved = await rt.save({
          key: path,
          parentKey,
          kind,
          status: "completed",
          output: json,
          error: null,
          attempts: attempt,
          startedAt,
          finishedAt: rt.now(),
          childRunId: null,
        });
        if (!saved) throw new LeaseLostError(`step "${path}": this worker no longer holds run ${rt.runId}; the result was not stored`);
        const record: StepRecord = {
          runId: rt.runId, key: path, parentKey, kind, status: "completed", output: json, error: null,
          attempts: attempt, startedAt, finishedAt: rt.now(), childRunId: null,
        };
        rt.stored.set(path, record);
        return fromJson<T>(json);
      } catch (error) {
        const fatal = error instanceof UnstorableValueError;
        if (!fatal && !(error instanceof LeaseLostError) && !rt.signal.aborted && attempt < policy.maxAttempts) {
          const delayMs = backoffMs(policy, attempt);
          rt.trace?.event("errand.step.retry", { "errand.step.attempt": attempt, "errand.step.retry_delay_ms": delayMs, "exception.message": messageOf(error) }, path);
          await rt.pause(delayMs, rt.signal);
          rt.releaseKeysUnder(path);
          continue;
        }
        const tagged = tagWithStep(error, path);
        if (!(error instanceof LeaseLostError)) {
          await rt
            .save({
              key: path, parentKey, kind, status: "failed", output: null,
              error: JSON.stringify(serializeError(tagged)), attempts: attempt, startedAt, finishedAt: rt.now(), childRunId: null,
            })
            .catch(() => false);
        }
        throw tagged;
      } finally {
        if (timer !== null) clearTimeout(timer);
        scope.done();
      }
    }
  };
  return rt.track(rt.trace === null ? tries() : rt.trace.step(path, parentKey, tries));
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : describeThrown(error);
  } catch {
    return "unprintable error";
  }
}

/**
 * What one try of a step's function receives. Its signal is made on first use (an AbortSignal and a
 * listener on the run's signal are costly, and most steps never look): it is aborted when the run's
 * signal is, or when the try times out.
 */
class StepTry implements StepScope {
  readonly step: StepScope["step"];
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly path: string;
  readonly #rt: StepRuntime;
  #controller: AbortController | null = null;
  #unlisten: (() => void) | null = null;

  constructor(rt: StepRuntime, path: string, attempt: number, step: StepScope["step"]) {
    this.#rt = rt;
    this.step = step;
    this.attempt = attempt;
    this.idempotencyKey = `${rt.runId}:${path}`;
    this.path = path;
  }

  get signal(): AbortSignal {
    return this.#link().signal;
  }

  /** Aborts this try (timeout). */
  abort(reason: unknown): void {
    this.#link().abort(reason);
  }

  /** The try is over: stop following the run's signal. */
  done(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  #link(): AbortController {
    if (this.#controller !== null) return this.#controller;
    const controller = (this.#controller = new AbortController());
    const run = this.#rt.signal;
    if (run.aborted) {
      controller.abort(run.reason);
    } else {
      const onRunAbort = () => controller.abort(run.reason);
      run.addEventListener("abort", onRunAbort, { once: true });
      this.#unlisten = () => run.removeEventListener("abort", onRunAbort);
    }
    return controller;
  }
}

/** Attaches the step path to the error (kept as the original error so name, message and stack survive). */
function tagWithStep(error: unknown, path: string): Error {
  let isError = false;
  try {
    isError = error instanceof Error; // a Proxy's getPrototypeOf trap may throw
  } catch {
    // not an Error we can use
  }
  const e = isError ? (error as Error) : new Error(`step "${path}" threw a non-Error value: ${describeThrown(error)}`, { cause: error });
  try {
    if ((e as { stepKey?: string }).stepKey === undefined) {
      Object.defineProperty(e, "stepKey", { value: path, enumerable: true, configurable: true });
    }
  } catch {
    // frozen error or a Proxy: the path is lost, the error is not
  }
  return e;
}

/** Waits `ms` of real time (a retry back-off); rejects with the signal's reason when it is aborted. */
export function realPause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const until = Date.now() + ms;
    // setTimeout fires at once beyond 2³¹ − 1 ms: longer pauses are chained.
    let t = setTimeout(tick, Math.min(ms, MAX_TIMER_MS));
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    function tick() {
      const left = until - Date.now();
      if (left > 0) {
        t = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
        return;
      }
      signal.removeEventListener("abort", onAbort);
      resolve();
    }
  });
}
