/**
 * Starting and settling attempts: buffered runs start while slots are free (a slot freed by a run
 * that settles starts the next buffered run at once, without waiting for a wake-up); a settled
 * attempt's outcome goes to the completion batch (completed) or is written on its own (retry,
 * failure, suspension). A lost run's outcome is dropped.
 */
import { toRunInfo } from "../views.ts";
import { TaskTimeoutError } from "../../vocabulary/errors.ts";
import { executeAttempt, unregisteredTask, type AttemptReport, type Decision } from "../executor.ts";
import { observeAttempt } from "../tracing/run-span.ts";
import { slotsInUse, type WorkerCore } from "./core.ts";
import type { HeldRun } from "./held-run.ts";

/**
 * Starts buffered runs while the worker runs and has free slots, within this turn's budget: runs that
 * settle at once (no-op runs) would otherwise drain the whole buffer in one chain of microtasks, and the
 * worker could not claim the next batch (nor send completions) until the buffer is empty. Out of budget,
 * it rings the doorbell: the next turn sends completions, claims if half the buffer is gone, and goes on.
 */
export function startBuffered(w: WorkerCore): void {
  if (w.held.buffered === 0) return;
  const now = w.host.now();
  if (w.held.mayExpire(now)) void w.leases.expireOwn(now); // a buffered run whose lease expired (blocked loop) goes back unstarted
  while (w.state === "running" && slotsInUse(w) < w.opts.concurrency) {
    if (w.turn.startsLeft <= 0) {
      w.bell.ring();
      return;
    }
    const run = w.held.nextBuffered();
    if (run === undefined) return;
    w.turn.startsLeft--;
    // A run decided at once (no hooks, returned a value) is settled here, in this loop, with no
    // promise and no recursion; the others settle when their attempt resolves.
    const report = startAttempt(w, run);
    if (report !== null) settle(w, run, report);
  }
}

/**
 * Starts a run a trigger handed over (handoff.ts) in the slot reserved for it, outside the buffer's
 * order and the turn's budget. A worker that is no longer running leaves it buffered: its stop hands
 * it back with the buffer.
 */
export function startHandedOver(w: WorkerCore, h: HeldRun): void {
  const now = w.host.now();
  if (w.held.mayExpire(now)) void w.leases.expireOwn(now); // the insert took longer than the lease: it goes back unstarted
  if (w.state !== "running" || h.state !== "buffered") {
    w.bell.ring();
    return;
  }
  const report = startAttempt(w, h);
  if (report !== null) settle(w, h, report);
}

/** Starts `h`; returns its report when the attempt was decided at once, else null (it settles later). */
function startAttempt(w: WorkerCore, h: HeldRun): AttemptReport | null {
  const run = h.claimed.run;
  const task = w.host.tasks.get(run.taskId);
  const timeoutMs = task?.options.timeoutMs;
  h.start(toRunInfo(run), w.host.now(), timeoutMs === undefined ? null : { ms: timeoutMs, error: timeoutError });
  if (w.events.has("run:started")) w.events.emit("run:started", { run: h.info! });
  const telemetry = observeAttempt(run, h.claimed.steps.length, h.startedAt); // null unless an OpenTelemetry provider is registered
  if (task === undefined) {
    const report = unregisteredTask(run.taskId);
    telemetry?.end(report.decision, w.host.now());
    return report;
  }
  if (telemetry === null) {
    let attempt: AttemptReport | Promise<AttemptReport>;
    try {
      attempt = executeAttempt(task, h.claimed, h.info!, w.durable, h);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    if (!(attempt instanceof Promise)) return attempt;
    attempt.then(
      (report) => {
        settle(w, h, report);
        startBuffered(w);
      },
      (error: unknown) => failed(w, h, error),
    );
    return null;
  }
  telemetry.within(async () => executeAttempt(task, h.claimed, h.info!, w.durable, h, telemetry)).then(
    (report) => {
      telemetry.end(report.decision, w.host.now());
      settle(w, h, report);
      startBuffered(w);
    },
    (error: unknown) => {
      telemetry.fail(error, w.host.now());
      failed(w, h, error);
    },
  );
  return null;
}

/** The attempt ended without a report (a worker bug): reported, its slot freed, nothing written. */
function failed(w: WorkerCore, h: HeldRun, error: unknown): void {
  w.reportError(error);
  h.settled(false);
  startBuffered(w);
}

function timeoutError(this: void, run: HeldRun, ms: number): TaskTimeoutError {
  const r = run.claimed.run;
  return new TaskTimeoutError(`task "${r.taskId}" timed out after ${ms} ms (attempt ${r.attempt})`);
}

/** An attempt is decided: its slot is freed (the caller starts the next buffered run), its outcome written. */
function settle(w: WorkerCore, h: HeldRun, report: AttemptReport): void {
  w.prefetch.observe(w.host.now() - h.startedAt);
  const d = report.decision;
  const quiet = d.kind === "completed" && h.state === "executing" && freesNothing(w, h);
  const write = h.settled(true);
  for (const e of report.hookErrors) w.reportError(e);
  if (!write) return;
  if (d.kind === "completed") {
    if (quiet) w.quietReleases.add(h.id);
    w.completions.add({ run: h, output: d.output, outputJson: d.outputJson });
    w.bell.ring();
    return;
  }
  void writeOutcome(w, h, d);
}

/**
 * Whether the completion of `h` can make no other run claimable: its queue is one this engine
 * configures without a concurrency or rate limit (a run of a limited queue frees a place under the
 * limit), and it has no parent (its completion may wake a waiting parent).
 */
function freesNothing(w: WorkerCore, h: HeldRun): boolean {
  const run = h.claimed.run;
  return run.parentRunId === null && w.host.unlimitedQueues?.has(run.queue) === true;
}

/** Retries, failures and suspensions: one store call each (retried on transient errors). */
async function writeOutcome(w: WorkerCore, h: HeldRun, d: Exclude<Decision, { kind: "completed" }>): Promise<void> {
  const { store, id: workerId, events } = w;
  const runId = h.id;
  const info = h.info!;
  const now = w.host.now();
  try {
    switch (d.kind) {
      case "retry":
        if (await w.persist(() => store.failRun({ workerId, runId, error: JSON.stringify(d.error), retryAt: d.retryAt, now }))) {
          events.emit("run:retrying", { run: info, error: d.error, retryAt: new Date(d.retryAt) });
        }
        break;
      case "failed":
        if (await w.persist(() => store.failRun({ workerId, runId, error: JSON.stringify(d.error), retryAt: null, now }))) {
          events.emit("run:failed", { run: info, error: d.error });
          w.host.local.emit("finished", { id: runId });
        }
        break;
      case "suspended":
        if ((await w.persist(() => store.suspendRun({ workerId, runId, waits: d.waits, now }))) !== null) {
          events.emit("run:waiting", { run: info });
        }
        break;
    }
  } catch (error) {
    w.reportError(error);
  }
  h.written();
}
