/**
 * Leases of the runs a worker holds: one batched heartbeat every `leaseMs / 3` renews them all; a run
 * the store no longer gives this worker was canceled or taken over, and is lost. Before renewing and
 * before every claim, runs whose lease (as last secured) has expired are lost too: after a blocked
 * event loop any claim, this worker's own included, may take them over.
 */
import { LeaseLostError, RunCanceledError } from "../../vocabulary/errors.ts";
import type { LeaseKeeper, WorkerCore } from "./core.ts";
import type { HeldRun } from "./held-run.ts";

const RESOLVED: Promise<void> = Promise.resolve();

export function createLeaseKeeper(w: WorkerCore): LeaseKeeper {
  let beating = false;
  const leaseMs = w.opts.leaseMs;

  /** Hand-backs of expired, never-started runs still in flight (a claim waits for them). */
  let handingBack: Promise<void> | null = null;

  const expireOwn = (now: number): Promise<void> => {
    if (!w.held.mayExpire(now)) return handingBack ?? RESOLVED;
    const lost = w.held.expire(now, (run) => new LeaseLostError(`run ${run.id}: its lease expired before this worker renewed it (attempt ${run.claimed.run.attempt})`));
    const unstarted = lost.filter((l) => l.effect === "released").map((l) => l.run.id);
    if (unstarted.length > 0) {
      const previous = handingBack;
      const release = w.store.releaseRuns({ workerId: w.id, runIds: unstarted, now }).catch((e: unknown) => w.reportError(e));
      const both = (handingBack = Promise.all([previous, release]).then(() => {
        if (handingBack === both) handingBack = null;
      }));
    }
    return handingBack ?? Promise.resolve();
  };

  async function lostInStore(run: HeldRun): Promise<void> {
    if (run.state === "buffered") {
      run.lose(new LeaseLostError(`run ${run.id} was taken away from this worker before it started`));
      return;
    }
    if (run.state !== "executing") return; // writing: the store decides; lost/released: nothing to do
    const stored = await w.store.getRun({ id: run.id }).catch(() => null);
    if (stored?.status === "canceled") {
      if (run.lose(new RunCanceledError(`run ${run.id} was canceled`)) === "aborted") w.events.emit("run:canceled", { run: run.info! });
      return;
    }
    run.lose(new LeaseLostError(`run ${run.id}: this worker lost its lease (the run was taken over or finished elsewhere)`));
  }

  return {
    expireOwn,

    async heartbeat() {
      if (beating) return;
      beating = true;
      try {
        const now = w.host.now();
        await expireOwn(now);
        const runs = w.held.holders();
        if (runs.length === 0) return;
        let still: ReadonlySet<string>;
        try {
          still = new Set(await w.store.heartbeat({ workerId: w.id, runIds: runs.map((r) => r.id), leaseMs, now }));
        } catch (error) {
          w.reportError(error);
          return;
        }
        for (const run of runs) {
          if (still.has(run.id)) run.leaseUntil = Math.max(run.leaseUntil, now + leaseMs);
          else await lostInStore(run);
        }
      } finally {
        beating = false;
      }
    },

    canceled(runId) {
      const run = w.held.get(runId);
      if (run === undefined) return;
      if (run.lose(new RunCanceledError(`run ${runId} was canceled`)) === "aborted") w.events.emit("run:canceled", { run: run.info! });
    },
  };
}
