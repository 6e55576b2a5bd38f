/** Conformance: debounced runs (docs/CONTRACT.md §7): one pending run per (task, debounce key), also under concurrent creates. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewRun } from "../types.ts";
import { claim, ERR, newRun, T0, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

/** A debounced run triggered at `now` with `delay` ms and an optional cap (ms after `now`). */
function debounced(now: number, payload: unknown, more: { key?: string; taskId?: string; delay?: number; maxDelay?: number } = {}): NewRun {
  const delay = more.delay ?? 100;
  const until = more.maxDelay === undefined ? null : now + more.maxDelay;
  return newRun({
    taskId: more.taskId ?? "task",
    payload: JSON.stringify(payload),
    runAt: until === null ? now + delay : Math.min(now + delay, until),
    status: "delayed",
    debounce: { key: more.key ?? "k", until },
  });
}

export function debounceConformance(o: ConformanceOptions): void {
  describe(`${o.name}: debounced runs`, () => {
    it("a second trigger replaces the pending run's payload and moves its start; the first id comes back with created: false", () =>
      withStore(o, async (s) => {
        const [first] = await s.createRuns({ runs: [debounced(T0, 1)], now: T0 });
        assert.equal(first!.created, true);
        assert.equal(first!.run.runAt, T0 + 100);
        const [second] = await s.createRuns({ runs: [debounced(T0 + 50, 2)], now: T0 + 50 });
        assert.equal(second!.created, false);
        assert.equal(second!.run.id, first!.run.id);
        assert.equal(second!.run.payload, "2");
        assert.equal(second!.run.runAt, T0 + 150);
        const stored = (await s.getRun({ id: first!.run.id }))!;
        assert.equal(stored.payload, "2");
        assert.equal(stored.runAt, T0 + 150);
        assert.equal((await s.listRuns({})).runs.length, 1);
        assert.deepEqual(await claim(s, "w", T0 + 149), []);
        assert.deepEqual((await claim(s, "w", T0 + 150)).map((x) => x.run.payload), ["2"]);
      }));

    it("maxDelay: the start is never later than the first trigger + maxDelay", () =>
      withStore(o, async (s) => {
        const [first] = await s.createRuns({ runs: [debounced(T0, "a", { maxDelay: 250 })], now: T0 });
        for (const t of [80, 160, 240]) await s.createRuns({ runs: [debounced(T0 + t, t, { maxDelay: 250 })], now: T0 + t });
        const stored = (await s.getRun({ id: first!.run.id }))!;
        assert.equal(stored.runAt, T0 + 250, "capped by the first trigger's maxDelay");
        assert.equal(stored.payload, "240");
      }));

    it("once the run has started, the next trigger makes a new pending run (also while the first is retrying)", () =>
      withStore(o, async (s) => {
        const [first] = await s.createRuns({ runs: [debounced(T0, 1)], now: T0 });
        await claim(s, "w", T0 + 100);
        const [second] = await s.createRuns({ runs: [debounced(T0 + 110, 2)], now: T0 + 110 });
        assert.equal(second!.created, true);
        assert.notEqual(second!.run.id, first!.run.id);
        await s.failRun({ workerId: "w", runId: first!.run.id, error: ERR, retryAt: T0 + 500, now: T0 + 120 });
        const [third] = await s.createRuns({ runs: [debounced(T0 + 130, 3)], now: T0 + 130 });
        assert.equal(third!.run.id, second!.run.id, "the retrying run has started: the pending one is debounced");
        assert.equal((await s.getRun({ id: first!.run.id }))!.payload, "1", "a started run's payload never changes");
      }));

    it("keys are per task; a canceled pending run frees its key", () =>
      withStore(o, async (s) => {
        const [a] = await s.createRuns({ runs: [debounced(T0, 1, { taskId: "t1" })], now: T0 });
        const [b] = await s.createRuns({ runs: [debounced(T0, 1, { taskId: "t2" })], now: T0 });
        const [c] = await s.createRuns({ runs: [debounced(T0, 1, { taskId: "t1", key: "other" })], now: T0 });
        assert.deepEqual([a!.created, b!.created, c!.created], [true, true, true]);
        await s.cancelRun({ id: a!.run.id, error: ERR, now: T0 + 1 });
        const [d] = await s.createRuns({ runs: [debounced(T0 + 2, 2, { taskId: "t1" })], now: T0 + 2 });
        assert.equal(d!.created, true);
      }));

    it("two triggers of one key in one batch: one run, the second's payload", () =>
      withStore(o, async (s) => {
        const out = await s.createRuns({ runs: [debounced(T0, 1), newRun(), debounced(T0, 2)], now: T0 });
        assert.deepEqual(out.map((x) => x.created), [true, true, false]);
        assert.equal(out[2]!.run.id, out[0]!.run.id);
        assert.equal((await s.getRun({ id: out[0]!.run.id }))!.payload, "2");
      }));

    it("concurrent triggers from two connections leave exactly one pending run per key", () =>
      withTwo(o, async (s, other) => {
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? s : other).createRuns({ runs: [debounced(T0 + i, i)], now: T0 + i })),
        );
        const flat = results.flat();
        assert.equal(flat.filter((x) => x.created).length, 1, "exactly one insert");
        assert.equal(new Set(flat.map((x) => x.run.id)).size, 1, "every trigger got the one run");
        const page = await s.listRuns({});
        assert.equal(page.runs.length, 1);
        const stats = await s.stats();
        assert.equal(stats.byStatus.delayed, 1, "stats count one run");
      }));
  });
}
