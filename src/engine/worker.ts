/**
 * A worker: claims runs in batches (its free slots, plus `prefetch` ahead into a local buffer),
 * executes them, writes completions in batches in the background (a slot is free again as soon as
 * the function returns), renews leases by one batched heartbeat, and stops gracefully (buffered runs
 * are handed back at once; in-flight runs finish within the grace period; the rest are aborted and
 * handed back).
 */
import { randomUUID } from "node:crypto";
import type { DurableHost } from "../durable/types.ts";
import type { ClaimedRun, Store } from "../store/types.ts";
import { createCompletionBatcher } from "./completions.ts";
import { Emitter } from "./emitter.ts";
import { LeaseLostError, RunCanceledError, TaskTimeoutError, WorkerStoppedError } from "../vocabulary/errors.ts";
import { executeAttempt, unregisteredTask, type AttemptReport } from "./executor.ts";
import { withProgressListener } from "./progress-store.ts";
import type { AnyTask, RunInfo, Worker, WorkerEvents, WorkerOptions } from "./types.ts";
import { toRunInfo } from "./views.ts";
import { validateWorkerOptions } from "./worker-options.ts";

export { validateWorkerOptions } from "./worker-options.ts";

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

/** A run this worker holds: buffered (claimed, not started), executing, or writing its outcome. */
interface Held {
  readonly claimed: ClaimedRun;
  phase: "buffered" | "executing" | "writing";
  controller: AbortController | null;
  interrupt: ((reason: unknown) => void) | null;
  info: RunInfo | null;
  startedAt: number;
  /** Lease lost, canceled or handed back: its result must not be written. */
  lost: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createWorker(host: WorkerHost, options: WorkerOptions = {}): Worker {
  const opts = validateWorkerOptions(options);
  const id = `worker-${randomUUID()}`;
  const events = new Emitter<WorkerEvents>();
  const held = new Map<string, Held>();
  const buffer: Held[] = [];
  let executing = 0;
  let writing = 0;
  const store = host.store;
  let durable: DurableHost;
  const completions = createCompletionBatcher({
    store,
    workerId: id,
    now: () => host.now(),
    persist: (write) => persist(write),
    written(batch, done) {
      const now = host.now();
      for (const c of batch) {
        const h = held.get(c.runId);
        if (h === undefined) continue;
        if (done.has(c.runId)) {
          events.emit("run:completed", { run: h.info!, output: c.output, durationMs: now - h.startedAt });
          host.local.emit("finished", { id: c.runId });
        }
        release(h);
      }
    },
  });
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let wakeUp: (() => void) | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  const unsubscribers: (() => void)[] = [];
  let scheduler: { start(): Promise<void>; stop(): Promise<void> } | null = null;
  let slotFreed: (() => void) | null = null;
  const capacity = opts.concurrency + opts.prefetch;
  /** Claim again once this many places are free (batches stay large when prefetching). */
  const claimAt = opts.prefetch === 0 ? 1 : Math.max(1, Math.ceil(capacity / 2));

  /** Set by a wake-up that found the loop busy (e.g. mid-claim): the next idle() returns at once. */
  let kicked = false;
  const kick = () => {
    kicked = true;
    const w = wakeUp;
    wakeUp = null;
    w?.();
  };

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (kicked) {
        kicked = false;
        resolve();
        return;
      }
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

  /** Places free for claiming: capacity minus what is buffered or running, and minus a backlog of unwritten outcomes. */
  const room = () => capacity - executing - buffer.length - Math.max(0, writing - opts.concurrency);

  async function loop(): Promise<void> {
    while (state === "running") {
      startBuffered();
      kicked = false; // what happened so far is seen by this claim
      const want = room();
      if (want >= claimAt || (want > 0 && buffer.length === 0 && executing < opts.concurrency)) {
        let claimed: readonly ClaimedRun[];
        try {
          claimed = await store.claimRuns({ workerId: id, queues: opts.queues, limit: want, leaseMs: opts.leaseMs, now: host.now() });
        } catch (error) {
          reportError(error);
          await idle(opts.pollIntervalMs);
          continue;
        }
        for (const c of claimed) {
          const h: Held = { claimed: c, phase: "buffered", controller: null, interrupt: null, info: null, startedAt: 0, lost: false, timer: null };
          held.set(c.run.id, h);
          buffer.push(h);
        }
        if (state !== "running") break;
        if (claimed.length === want) continue; // there may be more
        startBuffered();
      }
      if (state !== "running") break;
      await idle(opts.pollIntervalMs);
    }
  }

  function startBuffered(): void {
    while (executing < opts.concurrency && buffer.length > 0 && state === "running") {
      const h = buffer.shift()!;
      if (!h.lost) execute(h);
    }
  }

  function abort(h: Held, reason: unknown): void {
    h.controller?.abort(reason);
    h.interrupt?.(reason);
  }

  function execute(h: Held): void {
    const run = h.claimed.run;
    let interrupt!: (reason: unknown) => void;
    const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
    interrupted.catch(() => {}); // never an unhandled rejection, whoever listens
    h.phase = "executing";
    h.controller = new AbortController();
    h.interrupt = interrupt;
    h.info = toRunInfo(run);
    h.startedAt = host.now();
    executing++;
    events.emit("run:started", { run: h.info });
    const task = host.tasks.get(run.taskId);
    const timeoutMs = task?.options.timeoutMs;
    if (timeoutMs !== undefined) {
      h.timer = setTimeout(() => {
        abort(h, new TaskTimeoutError(`task "${run.taskId}" timed out after ${timeoutMs} ms (attempt ${run.attempt})`));
      }, timeoutMs);
    }
    const attempt: Promise<AttemptReport> =
      task === undefined
        ? Promise.resolve(unregisteredTask(run.taskId, [...host.tasks.keys()]))
        : executeAttempt(task, h.claimed, h.controller.signal, durable, interrupted);
    attempt
      .then((report) => record(h, report))
      .catch((error: unknown) => {
        reportError(error);
        if (h.phase === "executing") endExecution(h);
        release(h);
      });
  }

  /** The function returned: its slot is free; the outcome is still to be written. */
  function endExecution(h: Held): void {
    if (h.timer !== null) clearTimeout(h.timer);
    h.timer = null;
    h.phase = "writing";
    executing--;
    writing++;
    slotFreed?.();
    startBuffered();
    kick();
  }

  /** The run is no longer this worker's. */
  function release(h: Held): void {
    const runId = h.claimed.run.id;
    if (held.get(runId) === h) held.delete(runId);
    if (h.phase === "writing") writing--;
    h.phase = "buffered"; // inert from here on
    kick();
  }

  async function record(h: Held, report: AttemptReport): Promise<void> {
    endExecution(h);
    for (const e of report.hookErrors) reportError(e);
    if (h.lost) return release(h);
    const runId = h.claimed.run.id;
    const info = h.info!;
    const d = report.decision;
    const now = host.now();
    try {
      switch (d.kind) {
        case "completed":
          completions.add({ runId, output: d.output, outputJson: d.outputJson });
          return; // released once the completion is stored
        case "retry":
          if (await persist(() => store.failRun({ workerId: id, runId, error: JSON.stringify(d.error), retryAt: d.retryAt, now }))) {
            events.emit("run:retrying", { run: info, error: d.error, retryAt: new Date(d.retryAt) });
          }
          break;
        case "failed":
          if (await persist(() => store.failRun({ workerId: id, runId, error: JSON.stringify(d.error), retryAt: null, now }))) {
            events.emit("run:failed", { run: info, error: d.error });
            host.local.emit("finished", { id: runId });
          }
          break;
        case "suspended":
          if ((await persist(() => store.suspendRun({ workerId: id, runId, waits: d.waits, now }))) !== null) {
            events.emit("run:waiting", { run: info });
          }
          break;
      }
    } catch (error) {
      reportError(error);
    }
    release(h);
  }

  async function heartbeat(): Promise<void> {
    const ids = [...held].filter(([, h]) => !h.lost).map(([runId]) => runId);
    if (ids.length === 0) return;
    let still: readonly string[];
    try {
      still = await store.heartbeat({ workerId: id, runIds: ids, leaseMs: opts.leaseMs, now: host.now() });
    } catch (error) {
      reportError(error);
      return;
    }
    const stillSet = new Set(still);
    for (const runId of ids) {
      if (stillSet.has(runId)) continue;
      const h = held.get(runId);
      if (h === undefined || h.lost) continue;
      // Completed meanwhile? Its completion is being written, not lost.
      if (h.phase === "writing") continue;
      h.lost = true;
      if (h.phase === "buffered") {
        release(h); // never started: nothing to abort
        continue;
      }
      const run = await store.getRun({ id: runId }).catch(() => null);
      const canceled = run?.status === "canceled";
      abort(
        h,
        canceled
          ? new RunCanceledError(`run ${runId} was canceled`)
          : new LeaseLostError(`run ${runId}: this worker lost its lease (the run was taken over or finished elsewhere)`),
      );
      if (canceled) events.emit("run:canceled", { run: h.info! });
    }
  }

  function cancelLocal({ id: runId }: { id: string }): void {
    const h = held.get(runId);
    if (h === undefined || h.lost || h.phase === "writing") return;
    h.lost = true;
    if (h.phase === "buffered") return release(h);
    abort(h, new RunCanceledError(`run ${runId} was canceled`));
    events.emit("run:canceled", { run: h.info! });
  }

  async function handBack(list: readonly Held[]): Promise<void> {
    if (list.length === 0) return;
    await store.releaseRuns({ workerId: id, runIds: list.map((h) => h.claimed.run.id), now: host.now() }).catch(reportError);
  }

  async function stopNow(loopFinished: Promise<void>): Promise<void> {
    await scheduler?.stop().catch(reportError);
    await loopFinished;
    // Claimed but never started: straight back to the queue.
    const unstarted = buffer.splice(0).filter((h) => !h.lost);
    for (const h of unstarted) {
      h.lost = true;
      release(h);
    }
    await handBack(unstarted);
    const deadline = Date.now() + opts.gracefulStopMs;
    while (executing > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
        slotFreed = () => {
          clearTimeout(t);
          resolve();
        };
      });
      slotFreed = null;
    }
    await completions.flush();
    const remaining = [...held.values()].filter((h) => h.phase === "executing" && !h.lost);
    for (const h of remaining) {
      h.lost = true;
      abort(h, new WorkerStoppedError(`worker ${id} stopped; the run is handed back to the queue`));
    }
    await handBack(remaining);
    // Outcomes still being written (retries, failures) finish on their own; wait briefly for them.
    const writesDeadline = Date.now() + 5_000;
    while ([...held.values()].some((h) => h.phase === "writing" && !h.lost) && Date.now() < writesDeadline) {
      await new Promise((r) => setTimeout(r, 5));
      await completions.flush();
    }
    if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
    for (const u of unsubscribers.splice(0)) u();
    state = "stopped";
    events.emit("worker:stopped", {});
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
          const h = held.get(runId);
          if (h?.info) events.emit("run:progress", { run: h.info, progress, message });
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
      const stopped = stopNow(loopDone);
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
