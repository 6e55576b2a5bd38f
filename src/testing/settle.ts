/**
 * Driving the engine in virtual time.
 *
 * `settle` runs everything that is due at the current virtual time: it starts a worker (which claims
 * at once), lets it work, and stops it as soon as it is idle. Idle is decided from the store, never
 * from a timer: the worker claimed nothing, no run is held by it, and no write happened since that
 * claim began (after each completion the drive kicks the worker into that claim). The worker is woken by store notifications and by the test engine's kicks, with
 * polling switched off, so progress never waits for real time.
 *
 * `nextDue` reads the store for the earliest time after now at which something becomes due: a
 * delayed run, a sleep or an event timeout of a waiting run, a retry (all stored as the run's
 * `runAt`), and, when asked, a cron schedule's next fire time.
 */
import type { Engine } from "../engine/index.ts";
import { NEVER, type RunRecord, type Store } from "../store/index.ts";
import type { WatchedStore } from "./watched-store.ts";

/** setTimeout's largest delay: the worker's polling interval, i.e. no polling. */
const NO_POLLING = 2_147_483_647;

/** Statuses of runs that have not started yet or wait to be resumed. */
const PENDING = ["queued", "delayed", "waiting"] as const;

/** Thrown by a drive that the closing of the test engine interrupted. */
export class TestEngineClosedError extends Error {
  override readonly name: string = "TestEngineClosedError";
}

export async function settle(engine: Engine, watched: WatchedStore): Promise<void> {
  // Closing the test engine mid-drive aborts the runs in flight at once (no graceful wait).
  const worker = engine.worker({ pollIntervalMs: NO_POLLING, gracefulStopMs: 0 });
  let finish!: (error?: unknown) => void;
  const idle = new Promise<void>((resolve, reject) => {
    let settled = false;
    finish = (error) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
  idle.catch(() => {}); // awaited below; never an unhandled rejection if start() fails first

  const probe = async (quiet: () => boolean) => {
    try {
      const { runs } = await watched.store.listRuns({ status: ["running"], limit: 1000 });
      if (runs.some((r) => r.workerId === worker.id)) return; // its end wakes the worker again
      if (quiet()) finish();
      else watched.kick(); // a write raced the claim: look again
    } catch (error) {
      finish(error);
    }
  };
  const unobserve = watched.observeClaims({
    claimed: (count, quiet) => {
      if (count === 0) void probe(quiet);
    },
    failed: (error) => finish(error),
  });
  // A completion that frees no other run asks for no claim (worker/claims.ts, `released`): kick, so
  // that the worker claims once more and that claim, back empty, tells the drive it is idle.
  const offCompleted = worker.on("run:completed", () => watched.kick());
  const offStopped = worker.on("worker:stopped", () =>
    finish(new TestEngineClosedError("test engine: it was closed while runs were being driven")),
  );
  try {
    await worker.start();
    await idle;
  } finally {
    unobserve();
    offCompleted();
    offStopped();
    await worker.stop();
  }
}

/** Every run that is queued, delayed or waiting. */
export async function pendingRuns(store: Store): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listRuns({ status: [...PENDING], limit: 1000, cursor });
    out.push(...page.runs);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** The earliest time after `now` at which a run (and, with `schedules`, a cron schedule) becomes due; null if none. */
export async function nextDue(store: Store, now: number, options: { readonly schedules: boolean }): Promise<number | null> {
  let next = Infinity;
  for (const run of await pendingRuns(store)) {
    if (run.runAt > now && run.runAt < NEVER) next = Math.min(next, run.runAt);
  }
  if (options.schedules) {
    for (const s of await store.listSchedules()) if (s.nextFireAt > now) next = Math.min(next, s.nextFireAt);
  }
  return next === Infinity ? null : next;
}
