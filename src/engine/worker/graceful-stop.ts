/**
 * Graceful stop: buffered runs go back to the queue at once; executing runs get `gracefulStopMs` to
 * finish; the rest are aborted (`WorkerStoppedError`) and handed back (a hand-back is not an attempt);
 * outcomes still being written get a few seconds more. The worker's loop keeps sending completion
 * batches meanwhile; this only waits on the worker's doorbell.
 */
import { WorkerStoppedError } from "../../vocabulary/errors.ts";
import type { WorkerCore } from "./core.ts";
import type { HeldRun } from "./held-run.ts";

/** How long outcomes still being written (retries, failures, completions) may take after the grace period. */
const WRITES_GRACE_MS = 5_000;

export async function stopGracefully(w: WorkerCore, claimInFlight: Promise<void> | null): Promise<void> {
  await claimInFlight; // its runs join the buffer, and go back with it
  const unstarted = w.held.inState("buffered");
  for (const run of unstarted) run.lose(new WorkerStoppedError(`worker ${w.id} stopped before run ${run.id} started`));
  await handBack(w, unstarted);

  await waitUntil(w, () => w.held.running === 0, w.opts.gracefulStopMs);
  const remaining = w.held.inState("executing");
  for (const run of remaining) run.lose(new WorkerStoppedError(`worker ${w.id} stopped; the run is handed back to the queue`));
  await handBack(w, remaining);

  await waitUntil(w, () => w.held.writing === 0 && w.completions.idle, WRITES_GRACE_MS);
}

async function handBack(w: WorkerCore, runs: readonly HeldRun[]): Promise<void> {
  if (runs.length === 0) return;
  await w.store.releaseRuns({ workerId: w.id, runIds: runs.map((r) => r.id), now: w.host.now() }).catch((e: unknown) => w.reportError(e));
}

/** Waits on the doorbell until `done()` holds or `ms` passed. */
async function waitUntil(w: WorkerCore, done: () => boolean, ms: number): Promise<void> {
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    w.bell.ring();
  }, ms);
  try {
    while (!done() && !over) await w.bell.wait();
  } finally {
    clearTimeout(timer);
  }
}
