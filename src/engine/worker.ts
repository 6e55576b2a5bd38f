/**
 * A worker: claims runs in batches up to its free slots, executes them, writes completions in
 * batches, renews leases by heartbeat, and stops gracefully (in-flight runs finish within the grace
 * period; the rest are aborted and handed back to the queue).
 */
import { randomUUID } from "node:crypto";
import type { DurableHost } from "../durable/types.ts";
import type { ClaimedRun, Store } from "../store/types.ts";
import { Emitter } from "./emitter.ts";
import { RunCanceledError, TaskTimeoutError, WorkerStoppedError, serializeError } from "./errors.ts";
import { executeAttempt, type AttemptReport } from "./executor.ts";
import { withProgressListener } from "./progress-store.ts";
import type { AnyTask, RunInfo, Worker, WorkerEvents, WorkerOptions } from "./types.ts";
import { toRunInfo } from "./views.ts";

/** What a worker needs from its engine. */
export interface WorkerHost {
  readonly store: Store;
  readonly tasks: ReadonlyMap<string, AnyTask>;
  now(): number;
  ready(): Promise<void>;
  durableHost(workerId: string): DurableHost;
  /** In-process signals: a run finished (for runs.wait), a run was canceled (abort it at once). */
  readonly local: Emitter<{ finished: { id: string }; cancel: { id: string } }>;
  /** Per-worker scheduler (cron schedules), if the engine has one. */
  createScheduler?(): { start(): Promise<void>; stop(): Promise<void> };
}

interface Inflight {
  readonly controller: AbortController;
  /** Settles `interrupted` (the attempt ends even if the task ignores its signal). */
  readonly interrupt: (reason: unknown) => void;
  readonly interrupted: Promise<never>;
  readonly info: RunInfo;
  readonly startedAt: number;
  /** Lease lost, canceled or handed back: its result must not be written. */
  lost: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Completion {
  readonly runId: string;
  readonly output: unknown;
  readonly outputJson: string;
}

export function validateWorkerOptions(o: WorkerOptions): Required<Omit<WorkerOptions, "queues">> & { queues: readonly string[] | null } {
  if (o === null || typeof o !== "object") throw new TypeError("engine.worker: options must be an object");
  const int = (name: keyof WorkerOptions, v: unknown, min: number, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new TypeError(`engine.worker: option \`${name}\` must be an integer >= ${min}, got ${String(v)}`);
    }
    return v;
  };
  const known = new Set(["concurrency", "queues", "pollIntervalMs", "leaseMs", "gracefulStopMs"]);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`engine.worker: unknown option \`${k}\``);
  if (o.queues !== undefined && (!Array.isArray(o.queues) || o.queues.length === 0 || o.queues.some((q) => typeof q !== "string" || q === ""))) {
    throw new TypeError("engine.worker: option `queues` must be a non-empty array of queue names");
  }
  return {
    concurrency: int("concurrency", o.concurrency, 1, 10),
    pollIntervalMs: int("pollIntervalMs", o.pollIntervalMs, 1, 1000),
    leaseMs: int("leaseMs", o.leaseMs, 100, 30_000),
    gracefulStopMs: int("gracefulStopMs", o.gracefulStopMs, 0, 30_000),
    queues: o.queues ?? null,
  };
}

export function createWorker(host: WorkerHost, options: WorkerOptions = {}): Worker {
  const opts = validateWorkerOptions(options);
  const id = `worker-${randomUUID()}`;
  const events = new Emitter<WorkerEvents>();
  const inflight = new Map<string, Inflight>();
  const completions: Completion[] = [];
  const store = host.store;
  let durable: DurableHost;
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let wakeUp: (() => void) | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let flushScheduled = false;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  const unsubscribers: (() => void)[] = [];
  let scheduler: { start(): Promise<void>; stop(): Promise<void> } | null = null;
  let slotFreed: (() => void) | null = null;

  const kick = () => {
    const w = wakeUp;
    wakeUp = null;
    w?.();
  };

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const reportError = (error: unknown) => events.emit("worker:error", { error });

  /**
   * Writes an attempt's outcome, retrying transient store errors (connection drops, pool timeouts)
   * with backoff for up to ~10 s: giving up leaves the run to be re-executed after its lease expires.
   */
  async function persist<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        reportError(error);
        if (attempt >= 8) throw error;
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  async function loop(): Promise<void> {
    while (state === "running") {
      const free = opts.concurrency - inflight.size;
      if (free > 0) {
        let claimed: readonly ClaimedRun[];
        try {
          claimed = await store.claimRuns({ workerId: id, queues: opts.queues, limit: free, leaseMs: opts.leaseMs, now: host.now() });
        } catch (error) {
          reportError(error);
          await idle(opts.pollIntervalMs);
          continue;
        }
        for (const c of claimed) execute(c);
        if (claimed.length === free && state === "running") continue;
      }
      if (state !== "running") break;
      await idle(opts.pollIntervalMs);
    }
  }

  function abort(entry: Inflight, reason: unknown): void {
    entry.controller.abort(reason);
    entry.interrupt(reason);
  }

  function execute(claimed: ClaimedRun): void {
    const run = claimed.run;
    let interrupt!: (reason: unknown) => void;
    const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
    interrupted.catch(() => {}); // never an unhandled rejection, whoever listens
    const entry: Inflight = {
      controller: new AbortController(),
      interrupt,
      interrupted,
      info: toRunInfo(run),
      startedAt: host.now(),
      lost: false,
      timer: null,
    };
    inflight.set(run.id, entry);
    events.emit("run:started", { run: entry.info });
    const task = host.tasks.get(run.taskId);
    const timeoutMs = task?.options.timeoutMs;
    if (timeoutMs !== undefined) {
      entry.timer = setTimeout(() => {
        abort(entry, new TaskTimeoutError(`task "${run.taskId}" timed out after ${timeoutMs} ms (attempt ${run.attempt})`));
      }, timeoutMs);
    }
    const attempt: Promise<AttemptReport> =
      task === undefined
        ? Promise.resolve({
            decision: {
              kind: "failed",
              error: serializeError(
                new Error(`task "${run.taskId}" is not registered in this worker (registered: ${[...host.tasks.keys()].join(", ") || "none"})`),
              ),
            },
            hookErrors: [],
          })
        : executeAttempt(task, claimed, entry.controller.signal, durable, interrupted);
    attempt
      .then((report) => record(run.id, entry, report))
      .catch((error: unknown) => {
        reportError(error);
        free(run.id, entry);
      });
  }

  async function record(runId: string, entry: Inflight, report: AttemptReport): Promise<void> {
    if (entry.timer !== null) clearTimeout(entry.timer);
    for (const e of report.hookErrors) reportError(e);
    if (entry.lost) return free(runId, entry);
    const d = report.decision;
    const now = host.now();
    try {
      switch (d.kind) {
        case "completed":
          completions.push({ runId, output: d.output, outputJson: d.outputJson });
          scheduleFlush();
          return; // the slot is freed when the completion is stored
        case "retry":
          if (await persist(() => store.failRun({ workerId: id, runId, error: JSON.stringify(d.error), retryAt: d.retryAt, now }))) {
            events.emit("run:retrying", { run: entry.info, error: d.error, retryAt: new Date(d.retryAt) });
          }
          break;
        case "failed":
          if (await persist(() => store.failRun({ workerId: id, runId, error: JSON.stringify(d.error), retryAt: null, now }))) {
            events.emit("run:failed", { run: entry.info, error: d.error });
            host.local.emit("finished", { id: runId });
          }
          break;
        case "suspended":
          if ((await persist(() => store.suspendRun({ workerId: id, runId, waits: d.waits, now }))) !== null) {
            events.emit("run:waiting", { run: entry.info });
          }
          break;
      }
    } catch (error) {
      reportError(error);
    }
    free(runId, entry);
  }

  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void flush();
    });
  }

  async function flush(): Promise<void> {
    if (completions.length === 0) return;
    const batch = completions.splice(0, completions.length);
    let done: ReadonlySet<string> = new Set();
    try {
      done = new Set(
        await persist(() =>
          store.completeRuns({ workerId: id, items: batch.map((c) => ({ runId: c.runId, output: c.outputJson })), now: host.now() }),
        ),
      );
    } catch {
      // reported by persist(); the runs will be taken over after their leases expire
    }
    const now = host.now();
    for (const c of batch) {
      const entry = inflight.get(c.runId);
      if (done.has(c.runId) && entry !== undefined) {
        events.emit("run:completed", { run: entry.info, output: c.output, durationMs: now - entry.startedAt });
        host.local.emit("finished", { id: c.runId });
      }
      if (entry !== undefined) free(c.runId, entry);
    }
  }

  function free(runId: string, entry: Inflight): void {
    if (entry.timer !== null) clearTimeout(entry.timer);
    if (inflight.get(runId) === entry) inflight.delete(runId);
    slotFreed?.();
    kick();
  }

  async function heartbeat(): Promise<void> {
    const ids = [...inflight].filter(([, e]) => !e.lost).map(([runId]) => runId);
    if (ids.length === 0) return;
    let held: readonly string[];
    try {
      held = await store.heartbeat({ workerId: id, runIds: ids, leaseMs: opts.leaseMs, now: host.now() });
    } catch (error) {
      reportError(error);
      return;
    }
    const heldSet = new Set(held);
    for (const runId of ids) {
      if (heldSet.has(runId)) continue;
      const entry = inflight.get(runId);
      if (entry === undefined || entry.lost) continue;
      // Completed meanwhile? Its completion is buffered, not lost.
      if (completions.some((c) => c.runId === runId)) continue;
      entry.lost = true;
      const run = await store.getRun({ id: runId }).catch(() => null);
      const reason =
        run?.status === "canceled"
          ? new RunCanceledError(`run ${runId} was canceled`)
          : new Error(`run ${runId}: this worker lost its lease (the run was taken over or finished elsewhere)`);
      abort(entry, reason);
      if (run?.status === "canceled") events.emit("run:canceled", { run: entry.info });
    }
  }

  function cancelLocal({ id: runId }: { id: string }): void {
    const entry = inflight.get(runId);
    if (entry === undefined || entry.lost) return;
    entry.lost = true;
    abort(entry, new RunCanceledError(`run ${runId} was canceled`));
    events.emit("run:canceled", { run: entry.info });
  }

  const worker: Worker = {
    id,
    async start() {
      if (state !== "idle") throw new Error(`worker ${id}: start() can be called once (state: ${state})`);
      state = "running";
      try {
        await host.ready();
      } catch (error) {
        state = "stopped";
        throw error;
      }
      const base = host.durableHost(id);
      durable = {
        ...base,
        store: withProgressListener(base.store, (runId, progress, message) => {
          const entry = inflight.get(runId);
          if (entry !== undefined) events.emit("run:progress", { run: entry.info, progress, message });
        }),
      };
      unsubscribers.push(store.subscribe(() => kick()));
      unsubscribers.push(host.local.on("cancel", cancelLocal));
      heartbeatTimer = setInterval(() => void heartbeat(), Math.max(50, Math.floor(opts.leaseMs / 3)));
      heartbeatTimer.unref?.();
      scheduler = host.createScheduler?.() ?? null;
      if (scheduler !== null) await scheduler.start();
      loopDone = loop();
    },

    async stop() {
      if (state === "idle") {
        state = "stopped";
        return;
      }
      if (state !== "running") return loopDone;
      state = "stopping";
      kick();
      const loopFinished = loopDone;
      const stopped = (async () => {
        await scheduler?.stop().catch(reportError);
        await loopFinished;
        const deadline = Date.now() + opts.gracefulStopMs;
        while (inflight.size > 0 && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
            slotFreed = () => {
              clearTimeout(t);
              resolve();
            };
          });
          slotFreed = null;
        }
        await flush();
        const remaining = [...inflight].filter(([, e]) => !e.lost);
        for (const [, e] of remaining) {
          e.lost = true;
          abort(e, new WorkerStoppedError(`worker ${id} stopped; the run is handed back to the queue`));
        }
        if (remaining.length > 0) {
          await store.releaseRuns({ workerId: id, runIds: remaining.map(([runId]) => runId), now: host.now() }).catch(reportError);
        }
        if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
        for (const u of unsubscribers.splice(0)) u();
        state = "stopped";
        events.emit("worker:stopped", {});
      })();
      loopDone = stopped;
      return stopped;
    },

    on(event, listener) {
      return events.on(event, listener);
    },

    async [Symbol.asyncDispose]() {
      await worker.stop();
    },
  };
  return worker;
}
