/**
 * The run context of one execution of a durable run (replay model: `run` re-executes from the top;
 * stored steps return their results; waits that are not resolved yet suspend the run).
 *
 * Suspension: a call that must wait (sleep, child runs, event) registers a wait and returns a promise
 * that never settles; `settle()` then waits for steps already in flight to be stored and reports the
 * waits. Parallel calls (`Promise.all` of steps, sleeps, children) are supported: every wait reached
 * in the same execution is registered together; the run wakes when any resolves and suspends again
 * on the rest.
 *
 * One execution is one {@link Execution} object (execution.ts): a run that uses no steps, logs or
 * waits costs little more than its `ctx`. The `ctx` methods close over the execution and never use
 * `this`, so they can be passed around detached (`const { step } = ctx`).
 */
import { ExtensibleContext, runCache } from "../core/index.ts";
import type { StepKind } from "../store/types.ts";
import { toMs, toTime, type Duration } from "../vocabulary/duration.ts";
import { fromJson } from "../vocabulary/json.ts";
import { MAX_PROGRESS_MESSAGE_LENGTH } from "../vocabulary/limits.ts";
import { brief, checkName } from "../vocabulary/validate.ts";
import { childResult } from "../vocabulary/results.ts";
import type { RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
import type { WaitpointToken } from "../vocabulary/tokens.ts";
import { toRunInfo } from "./run-info.ts";
import { checkKey, Execution, persistKey } from "./execution.ts";
import { executeStep } from "./steps.ts";
import type { AnyTask, CreateTokenOptions, RunContext, WaitForEventOptions } from "./task.ts";
import { createToken, waitForEvent, waitForToken } from "./waits.ts";
import type { AttemptHandle, AttemptOutcome, AttemptSetup, CreateRunContext, Interrupt } from "./types.ts";

function checkTask(task: AnyTask, what: string): void {
  if (task === null || typeof task !== "object" || typeof task.id !== "string") {
    throw new TypeError(`${what}: the first argument must be a task made by defineTask()`);
  }
}

export const createRunContext: CreateRunContext = (setup: AttemptSetup): AttemptHandle => {
  const ex = new Execution(setup);
  return new Attempt(ex, new DurableRunContext(ex, setup.info ?? toRunInfo(ex.run)) as unknown as RunContext);
};

/** The engine's handle on one execution (a class: a run costs no closures for it). */
class Attempt implements AttemptHandle {
  readonly ctx: RunContext;
  readonly #ex: Execution;

  constructor(ex: Execution, ctx: RunContext) {
    this.#ex = ex;
    this.ctx = ctx;
  }

  settle(work: Promise<unknown>, interrupt?: Interrupt): Promise<AttemptOutcome> {
    return this.#ex.settle(work, interrupt);
  }

  quiet(): boolean {
    return this.#ex.quiet();
  }
}

type Extras = ReturnType<typeof runContextExtras>;

/**
 * A run's `ctx`: the in-process context (its cache persists in-process tasks with an id as steps)
 * plus the durable members. `run` and `init` are own fields; every other member is made on first
 * use, all together, as closures over the execution (so they work detached: `const { step } = ctx`),
 * and a run that uses none of them (a plain function) allocates none.
 */
class DurableRunContext extends ExtensibleContext {
  readonly run: RunInfo;
  /** Set by the engine to what the task's `init` returned, before `run` is called. */
  init: unknown = undefined;
  readonly #ex: Execution;
  #extras: Extras | null = null;

  constructor(ex: Execution, info: RunInfo) {
    super(
      runCache(<T>(taskId: string, inputKey: string, compute: () => Promise<T>): Promise<T> => {
        const path = persistKey(taskId, inputKey);
        ex.useKey(path);
        return executeStep<T>(ex, path, null, "task" as StepKind, () => compute(), undefined, (p) => ex.stepIn(p));
      }),
      null,
      () => ex.signal,
    );
    this.run = info;
    this.#ex = ex;
  }

  #x(): Extras {
    return (this.#extras ??= runContextExtras(this.#ex));
  }

  get step() {
    return this.#x().step;
  }
  get sleep() {
    return this.#x().sleep;
  }
  get sleepUntil() {
    return this.#x().sleepUntil;
  }
  get trigger() {
    return this.#x().trigger;
  }
  get triggerAndWait() {
    return this.#x().triggerAndWait;
  }
  get batchTriggerAndWait() {
    return this.#x().batchTriggerAndWait;
  }
  get waitForEvent() {
    return this.#x().waitForEvent;
  }
  get createToken() {
    return this.#x().createToken;
  }
  get waitForToken() {
    return this.#x().waitForToken;
  }
  get progress() {
    return this.#x().progress;
  }
  get log(): RunContext["log"] {
    return this.#ex.logs.logger;
  }
}

/** The members a run context adds to the in-process context (each closes over the execution). */
function runContextExtras(ex: Execution) {
  const { host, run, stored } = ex;
  return {
    step: ex.stepIn(null),

    sleep(key: string, duration: Duration): Promise<void> {
      try {
        const path = checkKey(key, "ctx.sleep");
        const ms = toMs(duration, `ctx.sleep("${path}")`);
        const wakeAt = toTime(host.now() + ms, `ctx.sleep("${path}")`);
        ex.claimKey(path, "ctx.sleep");
        if (stored.get(path)?.status === "completed") return Promise.resolve();
        return ex.wait<void>({ key: path, kind: "sleep", wakeAt, eventName: null, match: null, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    sleepUntil(key: string, date: Date | number): Promise<void> {
      try {
        const path = checkKey(key, "ctx.sleepUntil");
        const at = toTime(date, `ctx.sleepUntil("${path}")`);
        ex.claimKey(path, "ctx.sleepUntil");
        if (stored.get(path)?.status === "completed") return Promise.resolve();
        return ex.wait<void>({ key: path, kind: "sleep", wakeAt: at, eventName: null, match: null, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async trigger<T extends AnyTask>(task: T, payload: unknown, options?: TriggerOptions): Promise<RunHandle> {
      checkTask(task, "ctx.trigger");
      const path = ex.autoKey("trigger", task.id);
      ex.claimKey(path, "ctx.trigger");
      const done = stored.get(path);
      if (done?.status === "completed") return fromJson<RunHandle>(done.output);
      if (ex.suspending()) return ex.parked();
      return ex.track(
        (async () => {
          const startedAt = host.now();
          const handle = await ex.triggerChild(path, task, payload, options);
          const output = JSON.stringify(handle);
          await ex.save({ key: path, parentKey: null, kind: "child", status: "completed", output, error: null, attempts: 1, startedAt, finishedAt: host.now(), childRunId: handle.id });
          return handle;
        })(),
      );
    },

    async triggerAndWait<T extends AnyTask>(task: T, payload: unknown, options?: TriggerOptions) {
      checkTask(task, "ctx.triggerAndWait");
      const path = ex.autoKey("triggerAndWait", task.id);
      ex.claimKey(path, "ctx.triggerAndWait");
      const done = stored.get(path);
      if (done?.status === "completed") return childResult(done.output!);
      if (ex.suspending()) return ex.parked();
      const handle = await ex.track(ex.triggerChild(path, task, payload, options));
      return ex.wait({ key: path, kind: "child", wakeAt: null, eventName: null, match: null, childRunId: handle.id });
    },

    async batchTriggerAndWait<T extends AnyTask>(task: T, payloads: readonly unknown[], options?: TriggerOptions) {
      checkTask(task, "ctx.batchTriggerAndWait");
      if (!Array.isArray(payloads)) throw new TypeError("ctx.batchTriggerAndWait: `payloads` must be an array");
      const base = ex.autoKey("batchTriggerAndWait", task.id);
      ex.claimKey(base, "ctx.batchTriggerAndWait");
      const paths = payloads.map((_, i) => `${base}/${i}`);
      if (paths.every((p) => stored.get(p)?.status === "completed")) return paths.map((p) => childResult(stored.get(p)!.output!));
      if (ex.suspending()) return ex.parked();
      const missing = paths.map((p, i) => ({ p, i })).filter(({ p }) => stored.get(p)?.status !== "completed");
      const handles = await ex.track(
        host.triggerChildren(
          run,
          missing.map(({ p, i }) => ({ task, payload: payloads[i], options: { ...options, idempotencyKey: `${run.id}:${p}` } })),
        ),
      );
      missing.forEach(({ p }, j) =>
        ex.waits.push({ key: p, parentKey: base, kind: "child", createdAt: host.now(), wakeAt: null, eventName: null, match: null, childRunId: handles[j]!.id }),
      );
      ex.suspendNow();
      return ex.parked();
    },

    waitForEvent(key: string, options: WaitForEventOptions): Promise<unknown> {
      return waitForEvent(ex, key, options);
    },

    createToken(key: string, options?: CreateTokenOptions) {
      return createToken(ex, key, options);
    },

    waitForToken(token: WaitpointToken | string) {
      return waitForToken(ex, token);
    },

    async progress(fraction: number, message?: string): Promise<void> {
      if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
        throw new TypeError(`ctx.progress: \`fraction\` must be a number from 0 to 1, got ${brief(fraction)}`);
      }
      if (message !== undefined && message !== null) {
        if (typeof message !== "string") throw new TypeError(`ctx.progress: \`message\` must be a string, got ${brief(message)}`);
        if (message !== "") checkName(message, "ctx.progress: `message`", MAX_PROGRESS_MESSAGE_LENGTH);
      }
      await host.reportProgress(run.id, fraction, message ?? null);
    },
  };
}
