/**
 * One execution of a durable run: its state (stored steps, keys used, waits, steps in flight, the
 * suspension) in fields, its helpers as methods, bookkeeping allocated on first use. It is also the
 * steps' runtime (steps.ts). The run context (run-context.ts) is a thin layer of closures over it.
 */
import { createHash } from "node:crypto";
import type { NewWait, RunRecord, StepRecord } from "../store/types.ts";
import { jsonCap, MAX_KEY_LENGTH, MAX_PATH_LENGTH, type JsonCap } from "../vocabulary/limits.ts";
import { checkName, hasUnstorableChar } from "../vocabulary/validate.ts";
import type { RunHandle, TriggerOptions } from "../vocabulary/runs.ts";
import { RunLogs } from "./run-logs.ts";
import { executeStep, realPause, type StepRuntime } from "./steps.ts";
import type { AnyTask, StepOptions, StepScope } from "./task.ts";
import type { AttemptOutcome, AttemptSetup, DurableHost, Interrupt, RunTrace } from "./types.ts";

type WaitInput = Omit<NewWait, "createdAt" | "parentKey"> & { parentKey?: string | null };

/** The state of one execution; also the steps' runtime. */
export class Execution implements StepRuntime {
  readonly run: RunRecord;
  readonly runId: string;
  readonly host: DurableHost;
  readonly waits: NewWait[] = [];
  readonly trace: RunTrace | null;
  #used: Set<string> | null = null;
  #inflight: Set<Promise<unknown>> | null = null;
  #autoKeys: Map<string, number> | null = null;
  readonly #claimedSteps: readonly StepRecord[];
  #stored: Map<string, StepRecord> | null = null;
  #stepCap: JsonCap | null = null;
  #suspending = false;
  #suspend: (() => void) | null = null;
  #signal: AbortSignal | null;
  readonly #signalSource: (() => AbortSignal) | null;
  #logs: RunLogs | null = null;

  constructor(setup: AttemptSetup) {
    this.run = setup.claimed.run;
    this.runId = this.run.id;
    const signal = setup.signal;
    this.#signal = typeof signal === "function" ? null : signal;
    this.#signalSource = typeof signal === "function" ? signal : null;
    this.host = setup.host;
    this.trace = setup.trace ?? null;
    this.#claimedSteps = setup.claimed.steps;
  }

  /** The stored steps by key (made on first use: most runs have none and look up none). */
  get stored(): Map<string, StepRecord> {
    if (this.#stored === null) {
      this.#stored = new Map();
      for (const s of this.#claimedSteps) this.#stored.set(s.key, s);
    }
    return this.#stored;
  }

  get stepCap(): JsonCap {
    return (this.#stepCap ??= jsonCap(this.host.limits, "stepOutputBytes"));
  }

  /** `ctx.log`'s buffer (made on first use: most runs log nothing). */
  get logs(): RunLogs {
    return (this.#logs ??= new RunLogs(this.host, this.run, this.trace));
  }

  /** The run's abort signal (made on first use when the caller gave a source). */
  get signal(): AbortSignal {
    return (this.#signal ??= this.#signalSource!());
  }

  now(): number {
    return this.host.now();
  }

  pause(ms: number, signal: AbortSignal): Promise<void> {
    return this.host.pause === undefined ? realPause(ms, signal) : this.host.pause(ms, signal);
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

  /** Nothing pending: no suspension, no step or child trigger in flight, no log line buffered. */
  quiet(): boolean {
    return !this.#suspending && (this.#inflight === null || this.#inflight.size === 0) && !(this.#logs?.pending ?? false);
  }

  /** Settles once every step or child trigger in flight is stored (or failed). */
  async drain(untilEmpty: boolean): Promise<void> {
    const inflight = this.#inflight;
    if (inflight === null || inflight.size === 0) return;
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

  /** Races `work` against a suspension and an interrupt; see {@link AttemptHandle.settle}. */
  settle(work: Promise<unknown>, interrupt?: Interrupt): Promise<AttemptOutcome> {
    if (this.#suspending) return this.#suspended();
    return new Promise<AttemptOutcome | null>((resolve) => {
      this.#suspend = () => resolve(null);
      interrupt?.interruptWith((reason) => resolve({ kind: "failed", error: reason }));
      work.then(
        (output) => resolve({ kind: "completed", output }),
        (error: unknown) => resolve({ kind: "failed", error }),
      );
    }).then((result) => this.#finish(result));
  }

  /** After the race: steps in flight are stored and logs flushed before the outcome is reported. */
  #finish(result: AttemptOutcome | null): AttemptOutcome | Promise<AttemptOutcome> {
    this.#suspend = null;
    if (result === null || (this.#suspending && result.kind === "failed")) return this.#suspended();
    if (this.quiet()) return result; // nothing to wait for
    return this.#drained(result);
  }

  async #drained(result: AttemptOutcome): Promise<AttemptOutcome> {
    await this.drain(false);
    await this.#flushLogs();
    return result;
  }

  async #flushLogs(): Promise<void> {
    if (this.#logs?.pending) await this.#logs.flush().catch(() => {});
  }

  /** Suspended: let steps already running finish and be stored, then report every wait. */
  async #suspended(): Promise<AttemptOutcome> {
    this.#suspend = null;
    await this.drain(true);
    await this.#flushLogs();
    if (this.trace !== null) for (const w of this.waits) this.trace.event(`errand.wait.${w.kind}`, waitAttributes(w), w.parentKey);
    return { kind: "suspended", waits: [...this.waits] };
  }
}

/** What a span event says of a wait the run suspends on. */
function waitAttributes(w: NewWait): Record<string, string | number | undefined> {
  return {
    "errand.wait.key": w.key,
    "errand.wait.wake_at": w.wakeAt === null ? undefined : new Date(w.wakeAt).toISOString(),
    "errand.wait.event": w.eventName ?? undefined,
    "errand.wait.child_run_id": w.childRunId ?? undefined,
  };
}

/** A step, sleep or wait key: a storable name of at most MAX_KEY_LENGTH characters, without "/". */
export function checkKey(key: unknown, what: string): string {
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
export function persistKey(taskId: string, inputKey: string): string {
  const path = `task:${taskId}:${inputKey}`;
  if (path.length <= MAX_PATH_LENGTH && !hasUnstorableChar(path)) return path;
  return `task:${taskId}:#${createHash("sha256").update(inputKey, "utf16le").digest("hex")}`;
}
