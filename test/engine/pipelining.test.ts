/**
 * The worker keeps claims and completion writes apart: a claim never waits for a completion batch to be
 * written, nor a completion batch for a claim; and a claim still in flight when `stop()` is called
 * hands its runs back. Checked with a real SQLite store whose calls are held at a gate.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import { createEngine, defineTask } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/types.ts";
import { tempDb, until } from "../support/temp.ts";

/** A store whose `method` calls wait at a gate (from the `from`-th call on) until `open()`. */
function gated(store: Store, method: "claimRuns" | "completeRuns", from: number) {
  let calls = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const real = store[method].bind(store) as (p: never) => Promise<unknown>;
  const wrapped: Store = Object.create(store) as Store;
  Object.defineProperty(wrapped, method, {
    value: async (p: never) => {
      if (++calls >= from) await opened;
      return real(p);
    },
  });
  return { store: wrapped, open, calls: () => calls };
}

describe("claims and completions in flight together", () => {
  it("a completion batch held at the store does not stop the worker from claiming and running more", { timeout: 30_000 }, async () => {
    const ran: number[] = [];
    const t = defineTask({ id: "t", run: (p: { i: number }) => void ran.push(p.i) });
    const gate = gated(sqliteStore({ path: tempDb() }), "completeRuns", 1);
    const engine = createEngine({ store: gate.store, tasks: [t] });
    try {
      const handles = await engine.batchTrigger(t, Array.from({ length: 8 }, (_, i) => ({ i })));
      const w = engine.worker({ concurrency: 2, prefetch: 0, pollIntervalMs: 20 });
      await w.start();
      // Twice its slots: the worker claims again while outcomes wait (up to as many as it has places).
      await until(() => ran.length >= 4, "more runs than slots executed while the first completion write is held");
      assert.equal((await engine.runs.stats()).byStatus.completed, 0, "nothing written yet");
      gate.open();
      const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
      assert.ok(results.every((r) => r.ok));
      await w.stop();
    } finally {
      gate.open();
      await engine.close();
    }
  });

  it("a claim held at the store does not stop the worker from writing the outcomes of runs it finished", { timeout: 30_000 }, async () => {
    const t = defineTask({ id: "t", run: (p: { i: number }) => p.i });
    const gate = gated(sqliteStore({ path: tempDb() }), "claimRuns", 2);
    const engine = createEngine({ store: gate.store, tasks: [t] });
    try {
      const handles = await engine.batchTrigger(t, Array.from({ length: 6 }, (_, i) => ({ i })));
      const w = engine.worker({ concurrency: 2, prefetch: 0, pollIntervalMs: 20 });
      await w.start();
      await until(() => gate.calls() >= 2, "a second claim, held at the gate");
      await until(async () => (await engine.runs.stats()).byStatus.completed === 2, "the first two runs written while the claim is held");
      gate.open();
      const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
      assert.deepEqual(results.map((r) => r.ok && r.output), [0, 1, 2, 3, 4, 5]);
      await w.stop();
    } finally {
      gate.open();
      await engine.close();
    }
  });

  it("stop() with a claim in flight hands the runs it claimed back, unstarted", { timeout: 30_000 }, async () => {
    let started = 0;
    const t = defineTask({ id: "t", run: () => void started++ });
    const gate = gated(sqliteStore({ path: tempDb() }), "claimRuns", 1);
    const engine = createEngine({ store: gate.store, tasks: [t] });
    try {
      await engine.batchTrigger(t, Array.from({ length: 4 }, () => undefined));
      const w = engine.worker({ concurrency: 4, pollIntervalMs: 20 });
      await w.start();
      await until(() => gate.calls() >= 1, "the first claim, held at the gate");
      const stopped = w.stop();
      gate.open();
      await stopped;
      assert.equal(started, 0, "no run started after stop()");
      const stats = (await engine.runs.stats()).byStatus;
      assert.equal(stats.queued, 4, "all handed back");
      assert.equal(stats.running, 0);
    } finally {
      gate.open();
      await engine.close();
    }
  });
});
