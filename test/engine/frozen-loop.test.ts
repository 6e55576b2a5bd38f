/**
 * Issue 13, finding 1: a worker whose event loop is blocked for longer than `leaseMs` finds its own
 * runs' leases expired. It must treat them as lost (another claim — possibly its own — takes them
 * over), keep its slot counts right, and keep claiming: every run finishes, and so does a run
 * triggered afterwards. Checked on both stores.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import { createEngine, defineTask } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/types.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { tempDb } from "../support/temp.ts";

after(async () => {
  await stopTestPgServer();
});

/** Blocks the event loop (no timers, no I/O) for `ms`. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** The runs whose first execution freezes the loop: two freezes, each one expiring every lease held. */
const FREEZERS = new Set([0, 6]);

async function freezeAndDrain(store: Store): Promise<void> {
  const executions = new Map<number, number>();
  const work = defineTask({
    id: "work",
    run: async (p: { i: number }) => {
      executions.set(p.i, (executions.get(p.i) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
      // Longer than leaseMs, and right before returning: every lease this worker holds has expired
      // by the time the worker next claims (before its heartbeat timer gets a turn).
      if (FREEZERS.has(p.i) && executions.get(p.i) === 1) busyWait(2_500);
      return p.i * 2;
    },
  });
  const engine = createEngine({ store, tasks: [work] });
  try {
    const handles = await engine.batchTrigger(work, Array.from({ length: 12 }, (_, i) => ({ i })));
    const w = engine.worker({ concurrency: 1, leaseMs: 1_000, pollIntervalMs: 50 });
    await w.start();
    const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 30_000 })));
    results.forEach((r, i) => assert.deepEqual(r.ok ? r.output : r.error, i * 2, `run ${i} completed with its output`));
    // The worker still claims after the freeze: a new run is picked up by the same worker.
    const late = await engine.trigger(work, { i: 100 });
    const lateResult = await engine.runs.wait(late.id, { timeoutMs: 30_000 });
    assert.equal(lateResult.ok && lateResult.output, 200);
    await w.stop();
    const stats = (await engine.runs.stats()).byStatus;
    assert.equal(stats.completed, 13);
    assert.equal(stats.running + stats.queued, 0);
    // A run taken over after the freeze may run again (at-least-once), but not more than that.
    assert.ok([...executions.values()].every((n) => n <= 2), `executions per run: ${[...executions.values()]}`);
  } finally {
    await engine.close();
  }
}

/** Runs claimed ahead (buffered) when the loop froze never started: they go back to the queue, no attempt is spent on them. */
async function freezeWithBuffer(store: Store): Promise<void> {
  const freezer = defineTask({
    id: "freezer",
    retry: { maxAttempts: 3 },
    run: async (_: void, ctx) => {
      await new Promise((r) => setTimeout(r, 5));
      if (ctx.run.attempt === 1) busyWait(2_500);
      return "froze";
    },
  });
  const single = defineTask({ id: "single", retry: { maxAttempts: 1 }, run: (p: { i: number }) => p.i });
  const engine = createEngine({ store, tasks: [freezer, single] });
  try {
    const f = await engine.trigger(freezer, undefined);
    const handles = await engine.batchTrigger(single, Array.from({ length: 6 }, (_, i) => ({ i })));
    const w = engine.worker({ concurrency: 1, prefetch: 3, leaseMs: 1_000, pollIntervalMs: 50 });
    await w.start();
    const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 30_000 })));
    // maxAttempts 1: a takeover of a buffered run would have failed it with LeaseExpiredError.
    assert.deepEqual(results.map((r) => (r.ok ? r.output : r.error.name)), [0, 1, 2, 3, 4, 5]);
    const fr = await engine.runs.wait(f.id, { timeoutMs: 30_000 });
    assert.equal(fr.ok && fr.output, "froze");
    for (const h of handles) assert.equal((await engine.runs.get(h.id))?.attempt, 1, "no attempt spent on a run that never started");
    await w.stop();
  } finally {
    await engine.close();
  }
}

describe("a worker whose event loop froze longer than its lease", () => {
  it("SQLite: treats its expired runs as lost and keeps claiming", { timeout: 120_000 }, async () => {
    await freezeAndDrain(sqliteStore({ path: tempDb() }));
  });

  it("PostgreSQL: treats its expired runs as lost and keeps claiming", { timeout: 120_000 }, async () => {
    await freezeAndDrain(postgresStore({ connectionString: await freshDatabase("errand_frozen") }));
  });

  it("SQLite: hands back the buffered runs whose lease expired, spending no attempt on them", { timeout: 120_000 }, async () => {
    await freezeWithBuffer(sqliteStore({ path: tempDb() }));
  });

  it("PostgreSQL: hands back the buffered runs whose lease expired, spending no attempt on them", { timeout: 120_000 }, async () => {
    await freezeWithBuffer(postgresStore({ connectionString: await freshDatabase("errand_frozen") }));
  });
});
