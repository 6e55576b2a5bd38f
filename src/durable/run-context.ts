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
 * One execution is one {@link Execution} object (its state lives in fields, its helpers are methods,
 * bookkeeping is allocated on first use): a run that uses no steps, logs or waits costs little more
 * than its `ctx`. The `ctx` methods close over the execution and never use `this`, so they can be
 * passed around detached (`const { step } = ctx`).
 */
import { createContext, extendContext } from "../core/index.ts";
import type { NewWait, RunRecord, StepKind, StepRecord } from "../store/types.ts";
import { createHash } from "node:crypto";
import { toMs, toTime, type Duration } from "../vocabulary/duration.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import { jsonCap, MAX_KEY_LENGTH, MAX_PATH_LENGTH, MAX_PROGRESS_MESSAGE_LENGTH, type JsonCap } from "../vocabulary/limits.ts";
import { brief, checkName, hasUnstorableChar } from "../vocabulary/validate.ts";
import { childResult } from "../vocabulary/results.ts";
import type { RunHandle, RunInfo, TriggerOptions } from "../vocabulary/runs.ts";
import { toRunInfo } from "./run-info.ts";
import { executeStep, type StepRuntime } from "./steps.ts";
import { RunLogs } from "./run-logs.ts";
import type { AnyTask, RunContext, StepOptions, StepScope, WaitForEventOptions } from "./task.ts";
import type { AttemptHandle, AttemptOutcome, AttemptSetup, CreateRunContext, DurableHost } from "./types.ts";

type WaitInput = Omit<NewWait, "createdAt" | "parentKey"> & { parentKey?: string | null };

/** The state of one execution; also the steps' runtime. */
class Execution implements StepRuntime {
  readonly run: RunRecord;
  readonly runId: string;
  readonly host: DurableHost;
  readonly stored: Map<string, StepRecord>;
  readonly waits: NewWait[] = [];
  readonly stepCap: JsonCap;
  #used: Set<string> | null = null;
  #inflight: Set<Promise<unknown>> | null = null;
  #autoKeys: Map<string, number> | null = null;
  #suspending = false;
  #suspend: (() => void) | null = null;
  #signal: AbortSignal | null;
  readonly #signalSource: (() => AbortSignal) | null;

  constructor(setup: AttemptSetup) {
    this.run = setup.claimed.run;
    this.runId = this.run.id;
    const signal = setup.signal;
    this.#signal = typeof signal === "function" ? null : signal;
    this.#signalSource = typeof signal === "function" ? signal : null;
    this.host = setup.host;
    this.stepCap = jsonCap(setup.host.limits, "stepOutputBytes");
    const steps = setup.claimed.steps;
    this.stored = new Map();
    for (const s of steps) this.stored.set(s.key, s);
  }

  /** The run's abort signal (made on first use when the caller gave a source). */
  get signal(): AbortSignal {
    return (this.#signal ??= this.#signalSource!());
  }

  now(): number {
    return this.host.now();
  }

  save(step: Parameters<StepRuntime["save"]>[0]): Promise<boolean> {
    return this.host.saveStep(this.runId, step);
  }

  suspending(): boolean {
    return this.#suspending;
  }

  releaseKeysUnder(path: string): void {
    if (this.#used === null) return;
    const prefix = `${path}/`;
    for (const key of this.#used) if (key.startsWith(prefix)) this.#used.delete(key);
  }

  parked<T>(): Promise<T> {
    return new Promise<T>(() => {});
  }

  track<T>(p: Promise<T>): Promise<T> {
    const inflight = (this.#inflight ??= new Set());
    inflight.add(p);
    p.then(
      () => inflight.delete(p),
      () => inflight.delete(p),
    );
    return p;
  }

  /** Settles once every step or child trigger in flight is stored (or failed). */
  async drain(untilEmpty: boolean): Promise<void> {
    const inflight = this.#inflight;
    if (inflight === null) return;
    do {
      if (inflight.size === 0) return;
      await Promise.allSettled([...inflight]);
    } while (untilEmpty);
  }

  /** A key used twice in one execution is a bug in the task. */
  claimKey(path: string, what: string): void {
    const used = (this.#used ??= new Set());
    if (used.has(path)) {
      throw new Error(`${what}: the key "${path}" is used twice in one execution of run ${this.runId}; keys must be unique per run`);
    }
    used.add(path);
  }

  /** Memoised in-process tasks may run with the same key again (their cache decides). */
  useKey(path: string): void {
    (this.#used ??= new Set()).add(path);
  }

  /** `<kind>:<task id>#<n>`: the n-th call of this kind for this task in the execution. */
  autoKey(kind: string, taskId: string): string {
    const keys = (this.#autoKeys ??= new Map());
    const base = `${kind}:${taskId}`;
    const n = (keys.get(base) ?? 0) + 1;
    keys.set(base, n);
    return `${base}#${n}`;
  }

  /** `ctx.step` (parent null) or `s.step` of a step (keys scoped under the parent's path). */
  stepIn(parent: string | null): StepScope["step"] {
    return <T>(key: string, fn: (s: StepScope) => Promise<T> | T, options?: StepOptions): Promise<T> => {
      try {
        const k = checkKey(key, "ctx.step");
        if (typeof fn !== "function") throw new TypeError(`ctx.step("${k}"): the second argument must be a function`);
        const path = checkPath(parent === null ? k : `${parent}/${k}`, "ctx.step");
        this.claimKey(path, "ctx.step");
        return executeStep(this, path, parent, "step", fn, options, (p) => this.stepIn(p));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }

  /** Registers a wait and parks the caller: the run suspends once in-flight steps are stored. */
  wait<T>(w: WaitInput): Promise<T> {
    this.waits.push({ parentKey: null, createdAt: this.host.now(), ...w });
    this.suspendNow();
    return this.parked<T>();
  }

  suspendNow(): void {
    this.#suspending = true;
    this.#suspend?.();
  }

  async triggerChild(path: string, task: AnyTask, payload: unknown, options: TriggerOptions | undefined): Promise<RunHandle> {
    const [handle] = await this.host.triggerChildren(this.run, [
      { task, payload, options: { ...options, idempotencyKey: options?.idempotencyKey ?? `${this.runId}:${path}` } },
    ]);
    return handle!;
  }

  /** Races `work` against a suspension; see {@link AttemptHandle.settle}. */
  async settle(work: Promise<unknown>, logs: RunLogs): Promise<AttemptOutcome> {
    const result = this.#suspending
      ? null
      : await Promise.race([
          work.then(
            (output): AttemptOutcome => ({ kind: "completed", output }),
            (error: unknown): AttemptOutcome => ({ kind: "failed", error }),
          ),
          new Promise<null>((resolve) => (this.#suspend = () => resolve(null))),
        ]);
    this.#suspend = null;
    if (result !== null && !(this.#suspending && result.kind === "failed")) {
      await this.drain(false);
      await logs.flush().catch(() => {});
      return result;
    }
    // Suspended: let steps already running finish and be stored, then report every wait.
    await this.drain(true);
    await logs.flush().catch(() => {});
    return { kind: "suspended", waits: [...this.waits] };
  }
}

/** A step, sleep or wait key: a storable name of at most MAX_KEY_LENGTH characters, without "/". */
function checkKey(key: unknown, what: string): string {
  const k = checkName(key, `${what}: the key`, MAX_KEY_LENGTH);
  if (k.includes("/")) throw new TypeError(`${what}: the key "${k}" must not contain "/" (it separates nested step keys)`);
  return k;
}

/** A nested step's full path fits the stores' key column. */
function checkPath(path: string, what: string): string {
  if (path.length > MAX_PATH_LENGTH) {
    throw new TypeError(`${what}: the step path must be at most ${MAX_PATH_LENGTH} characters, got ${path.length} ("${path.slice(0, 40)}…")`);
  }
  return path;
}

/**
 * The step key of a memoised in-process task: `task:<id>:<input key>`, or, when the input key is too
 * long or holds characters a store cannot keep, `task:<id>:#<sha256 of the input key>` (stable across replays).
 */
function persistKey(taskId: string, inputKey: string): string {
  const path = `task:${taskId}:${inputKey}`;
  if (path.length <= MAX_PATH_LENGTH && !hasUnstorableChar(path)) return path;
  return `task:${taskId}:#${createHash("sha256").update(inputKey, "utf16le").digest("hex")}`;
}

function checkTask(task: AnyTask, what: string): void {
  if (task === null || typeof task !== "object" || typeof task.id !== "string") {
    throw new TypeError(`${what}: the first argument must be a task made by defineTask()`);
  }
}

export const createRunContext: CreateRunContext = (setup: AttemptSetup): AttemptHandle => {
  const ex = new Execution(setup);
  const { host, run } = ex;
  const logs = new RunLogs(host, run);
  const core = createContext({
    signalSource() {
      return ex.signal;
    },
    persist<T>(taskId: string, inputKey: string, compute: () => Promise<T>): Promise<T> {
      const path = persistKey(taskId, inputKey);
      ex.useKey(path);
      return executeStep<T>(ex, path, null, "task" as StepKind, () => compute(), undefined, (p) => ex.stepIn(p));
    },
  });
  const ctx = extendContext(core, runContextExtras(ex, setup.info ?? toRunInfo(run), logs.logger)) as unknown as RunContext;
  return {
    ctx,
    settle(work) {
      return ex.settle(work, logs);
    },
  };
};

/** The members a run context adds to the in-process context (each closes over the execution). */
function runContextExtras(ex: Execution, info: RunInfo, log: RunContext["log"]) {
  const { host, run, stored } = ex;
  return {
    run: info,
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

    waitForEvent<T = unknown>(key: string, options: WaitForEventOptions): Promise<T | null> {
      try {
        const path = checkKey(key, "ctx.waitForEvent");
        const where = `ctx.waitForEvent("${path}")`;
        if (options === null || typeof options !== "object") throw new TypeError(`${where}: expected options { event, timeoutMs?, match? }`);
        const event = checkName(options.event, `${where}: option \`event\``);
        const wakeAt =
          options.timeoutMs === undefined ? null : toTime(host.now() + toMs(options.timeoutMs, `${where}: option \`timeoutMs\``), `${where}: option \`timeoutMs\``);
        const match = options.match === undefined ? null : toJson(options.match, `${where}: option \`match\``, jsonCap(host.limits, "payloadBytes"));
        ex.claimKey(path, "ctx.waitForEvent");
        const done = stored.get(path);
        if (done?.status === "completed") return Promise.resolve(fromJson<T | null>(done.output));
        return ex.wait<T | null>({ key: path, kind: "event", wakeAt, eventName: event, match, childRunId: null });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    log,

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
