/**
 * The run context of one execution of a durable run (replay model: `run` re-executes from the top;
 * stored steps return their results; waits that are not resolved yet suspend the run).
 *
 * Suspension: a call that must wait (sleep, child runs, event) registers a wait and returns a promise
 * that never settles; `settle()` then waits for steps already in flight to be stored and reports the
 * waits. Parallel calls (`Promise.all` of steps, sleeps, children) are supported: every wait reached
 * in the same execution is registered together; the run wakes when any resolves and suspends again
 * on the rest.
 */
import { createContext, extendContext } from "../core/index.ts";
import type { NewLog, NewWait, StepKind, StepRecord } from "../store/types.ts";
import { toMs, type Duration } from "../vocabulary/duration.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import { childResult } from "../vocabulary/results.ts";
import type { RunHandle, TriggerOptions } from "../vocabulary/runs.ts";
import { toRunInfo } from "./run-info.ts";
import { currentStep, executeStep, type StepRuntime } from "./steps.ts";
import type { AnyTask, Logger, RunContext, StepScope, WaitForEventOptions } from "./task.ts";
import type { AttemptHandle, AttemptOutcome, AttemptSetup, CreateRunContext } from "./types.ts";

export const createRunContext: CreateRunContext = (setup: AttemptSetup): AttemptHandle => {
  const { claimed, signal, host } = setup;
  const run = claimed.run;
  const stored = new Map<string, StepRecord>(claimed.steps.map((s) => [s.key, s]));
  const used = new Set<string>();
  const waits: NewWait[] = [];
  const inflight = new Set<Promise<unknown>>();
  const autoKeys = new Map<string, number>();
  const logCounters = new Map<string, number>();
  let logs: NewLog[] = [];
  let suspend: (() => void) | null = null;
  let suspending = false;
  const suspended = new Promise<void>((resolve) => (suspend = resolve));

  const rt: StepRuntime = {
    runId: run.id,
    stored,
    signal,
    now: () => host.now(),
    save: (step) => host.store.saveStep({ workerId: host.workerId, runId: run.id, step, now: host.now() }),
    suspending: () => suspending,
    releaseKeysUnder: (path: string) => {
      const prefix = `${path}/`;
      for (const key of used) if (key.startsWith(prefix)) used.delete(key);
    },
    parked: <T>() => new Promise<T>(() => {}),
    track: <T>(p: Promise<T>) => {
      inflight.add(p);
      p.then(
        () => inflight.delete(p),
        () => inflight.delete(p),
      );
      return p;
    },
  };

  const claimKey = (path: string, what: string) => {
    if (used.has(path)) {
      throw new Error(`${what}: the key "${path}" is used twice in one execution of run ${run.id}; keys must be unique per run`);
    }
    used.add(path);
  };

  const checkKey = (key: unknown, what: string): string => {
    if (typeof key !== "string" || key === "") throw new TypeError(`${what}: the key must be a non-empty string`);
    if (key.includes("/")) throw new TypeError(`${what}: the key "${key}" must not contain "/" (it separates nested step keys)`);
    return key;
  };

  const stepIn =
    (parent: string | null): StepScope["step"] =>
    <T>(key: string, fn: (s: StepScope) => Promise<T> | T, options?: Parameters<StepScope["step"]>[2]): Promise<T> => {
      try {
        const k = checkKey(key, "ctx.step");
        if (typeof fn !== "function") throw new TypeError(`ctx.step("${k}"): the second argument must be a function`);
        const path = parent === null ? k : `${parent}/${k}`;
        claimKey(path, "ctx.step");
        return executeStep(rt, path, parent, "step", fn, options, stepIn);
      } catch (error) {
        return Promise.reject(error);
      }
    };

  /** Registers a wait and parks the caller: the run suspends once in-flight steps are stored. */
  const wait = <T>(w: Omit<NewWait, "createdAt" | "parentKey"> & { parentKey?: string | null }): Promise<T> => {
    waits.push({ parentKey: null, createdAt: host.now(), ...w });
    suspending = true;
    suspend?.();
    return rt.parked<T>();
  };

  const autoKey = (kind: string, taskId: string) => {
    const base = `${kind}:${taskId}`;
    const n = (autoKeys.get(base) ?? 0) + 1;
    autoKeys.set(base, n);
    return `${base}#${n}`;
  };

  const checkTask = (task: AnyTask, what: string) => {
    if (task === null || typeof task !== "object" || typeof task.id !== "string") {
      throw new TypeError(`${what}: the first argument must be a task made by defineTask()`);
    }
  };

  const triggerChild = async (path: string, task: AnyTask, payload: unknown, options: TriggerOptions | undefined) => {
    const [handle] = await host.triggerChildren(run, [
      { task, payload, options: { ...options, idempotencyKey: options?.idempotencyKey ?? `${run.id}:${path}` } },
    ]);
    return handle!;
  };

  const log = (level: NewLog["level"]) => (message: string, data?: unknown) => {
    const scope = currentStep.getStore() ?? "";
    const n = (logCounters.get(scope) ?? 0) + 1;
    logCounters.set(scope, n);
    let dataJson: string | null = null;
    if (data !== undefined) {
      try {
        dataJson = toJson(data, "log data");
      } catch (error) {
        dataJson = JSON.stringify({ unserializable: (error as Error).message });
      }
    }
    logs.push({ key: `${scope}#${n}`, level, message: String(message), data: dataJson, at: host.now(), attempt: run.attempt });
    // An early flush that fails must not crash the process; settle() flushes the rest.
    if (logs.length >= 200) flushLogs().catch(() => {});
  };

  const flushLogs = async () => {
    if (logs.length === 0) return;
    const batch = logs;
    logs = [];
    await host.store.appendLogs({ runId: run.id, logs: batch });
  };

  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };

  const stepOrWait = (path: string) => stored.get(path);

  const core = createContext({
    signal,
    persist: <T>(taskId: string, inputKey: string, compute: () => Promise<T>) => {
      const path = `task:${taskId}:${inputKey}`;
      if (!used.has(path)) used.add(path);
      return executeStep<T>(rt, path, null, "task" as StepKind, () => compute(), undefined, stepIn);
    },
  });

  const extras = {
    run: toRunInfo(run),
    step: stepIn(null),

    sleep(key: string, duration: Duration): Promise<void> {
      try {
        const path = checkKey(key, "ctx.sleep");
        const ms = toMs(duration, `ctx.sleep("${path}")`);
        claimKey(path, "ctx.sleep");
        if (stepOrWait(path)?.status === "completed") return Promise.resolve();
        return wait<void>({ key: path, kind: "sleep", wakeAt: host.now() + ms, eventName: null, match: null, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    sleepUntil(key: string, date: Date | number): Promise<void> {
      try {
        const path = checkKey(key, "ctx.sleepUntil");
        const at = date instanceof Date ? date.getTime() : date;
        if (typeof at !== "number" || !Number.isFinite(at)) throw new TypeError(`ctx.sleepUntil("${path}"): expected a Date or epoch ms`);
        claimKey(path, "ctx.sleepUntil");
        if (stepOrWait(path)?.status === "completed") return Promise.resolve();
        return wait<void>({ key: path, kind: "sleep", wakeAt: at, eventName: null, match: null, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async trigger<T extends AnyTask>(task: T, payload: unknown, options?: TriggerOptions): Promise<RunHandle> {
      checkTask(task, "ctx.trigger");
      const path = autoKey("trigger", task.id);
      claimKey(path, "ctx.trigger");
      const done = stored.get(path);
      if (done?.status === "completed") return fromJson<RunHandle>(done.output);
      if (suspending) return rt.parked();
      return rt.track(
        (async () => {
          const startedAt = host.now();
          const handle = await triggerChild(path, task, payload, options);
          const output = JSON.stringify(handle);
          await rt.save({ key: path, parentKey: null, kind: "child", status: "completed", output, error: null, attempts: 1, startedAt, finishedAt: host.now(), childRunId: handle.id });
          return handle;
        })(),
      );
    },

    async triggerAndWait<T extends AnyTask>(task: T, payload: unknown, options?: TriggerOptions) {
      checkTask(task, "ctx.triggerAndWait");
      const path = autoKey("triggerAndWait", task.id);
      claimKey(path, "ctx.triggerAndWait");
      const done = stored.get(path);
      if (done?.status === "completed") return childResult(done.output!);
      if (suspending) return rt.parked();
      const handle = await rt.track(triggerChild(path, task, payload, options));
      return wait({ key: path, kind: "child", wakeAt: null, eventName: null, match: null, childRunId: handle.id });
    },

    async batchTriggerAndWait<T extends AnyTask>(task: T, payloads: readonly unknown[], options?: TriggerOptions) {
      checkTask(task, "ctx.batchTriggerAndWait");
      if (!Array.isArray(payloads)) throw new TypeError("ctx.batchTriggerAndWait: `payloads` must be an array");
      const base = autoKey("batchTriggerAndWait", task.id);
      claimKey(base, "ctx.batchTriggerAndWait");
      const paths = payloads.map((_, i) => `${base}/${i}`);
      if (paths.every((p) => stored.get(p)?.status === "completed")) return paths.map((p) => childResult(stored.get(p)!.output!));
      if (suspending) return rt.parked();
      const missing = paths.map((p, i) => ({ p, i })).filter(({ p }) => stored.get(p)?.status !== "completed");
      const handles = await rt.track(
        host.triggerChildren(
          run,
          missing.map(({ p, i }) => ({ task, payload: payloads[i], options: { ...options, idempotencyKey: `${run.id}:${p}` } })),
        ),
      );
      missing.forEach(({ p }, j) =>
        waits.push({ key: p, parentKey: base, kind: "child", createdAt: host.now(), wakeAt: null, eventName: null, match: null, childRunId: handles[j]!.id }),
      );
      suspending = true;
      suspend?.();
      return rt.parked();
    },

    waitForEvent<T = unknown>(key: string, options: WaitForEventOptions): Promise<T | null> {
      try {
        const path = checkKey(key, "ctx.waitForEvent");
        if (options === null || typeof options !== "object" || typeof options.event !== "string" || options.event === "") {
          throw new TypeError(`ctx.waitForEvent("${path}"): option \`event\` must be a non-empty string`);
        }
        const timeout = options.timeoutMs === undefined ? null : toMs(options.timeoutMs, `ctx.waitForEvent("${path}"): option \`timeoutMs\``);
        const match = options.match === undefined ? null : toJson(options.match, `ctx.waitForEvent("${path}"): option \`match\``);
        claimKey(path, "ctx.waitForEvent");
        const done = stored.get(path);
        if (done?.status === "completed") return Promise.resolve(fromJson<T | null>(done.output));
        return wait<T | null>({ key: path, kind: "event", wakeAt: timeout === null ? null : host.now() + timeout, eventName: options.event, match, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    log: logger,

    async progress(fraction: number, message?: string): Promise<void> {
      if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
        throw new TypeError(`ctx.progress: \`fraction\` must be a number from 0 to 1, got ${String(fraction)}`);
      }
      await host.store.setProgress({ runId: run.id, progress: fraction, message: message ?? null, now: host.now() });
    },
  };

  const ctx = extendContext(core, extras) as unknown as RunContext;

  return {
    ctx,
    async settle(work: Promise<unknown>): Promise<AttemptOutcome> {
      const result = await Promise.race([
        work.then(
          (output): AttemptOutcome => ({ kind: "completed", output }),
          (error: unknown): AttemptOutcome => ({ kind: "failed", error }),
        ),
        suspended.then((): null => null),
      ]);
      if (result !== null && !(suspending && result.kind === "failed")) {
        await Promise.allSettled([...inflight]);
        await flushLogs().catch(() => {});
        return result;
      }
      // Suspended: let steps already running finish and be stored, then report every wait.
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      await flushLogs().catch(() => {});
      return { kind: "suspended", waits: [...waits] };
    },
  };
};
