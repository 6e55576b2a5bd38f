/**
 * Hands back buffered runs the adaptive prefetch no longer wants (prefetch.ts): claimed while runs were
 * short, they would wait in this worker's buffer for seconds once runs got long, while other workers
 * could start them. The newest go back first (the oldest start next here); a hand-back is not an
 * attempt, as at stop.
 */
import type { WorkerCore } from "./core.ts";

const HANDED_BACK = new Error("buffered run handed back: the worker's prefetch buffer shrank");

export function handBackSurplus(w: WorkerCore): void {
  const n = w.prefetch.surplus(w.held.buffered);
  if (n === 0) return;
  const runs = w.held.takeNewestBuffered(n);
  if (runs.length === 0) return;
  for (const run of runs) run.lose(HANDED_BACK);
  const runIds = runs.map((r) => r.id);
  w.persist(() => w.store.releaseRuns({ workerId: w.id, runIds, now: w.host.now() })).catch((e: unknown) => w.reportError(e));
}
