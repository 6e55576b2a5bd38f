/** Conformance: listing, stats, metrics, prune, schedules, notifications, migrations. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunRecord } from "../types.ts";
import { createAndClaim, newRun, T0, withStore, type ConformanceOptions } from "./harness.ts";

export function queriesConformance(o: ConformanceOptions): void {
  describe(`${o.name}: queries and bookkeeping`, () => {
    it("migrate is idempotent", () =>
      withStore(o, async (s) => {
        await s.migrate();
        await s.migrate();
        assert.equal((await s.listRuns({})).runs.length, 0);
      }));

    it("listRuns: newest first, filters, and keyset pages with no gaps or duplicates", () =>
      withStore(o, async (s) => {
        const runs = Array.from({ length: 25 }, (_, i) =>
          newRun({ taskId: i % 2 ? "odd" : "even", queue: i < 5 ? "q5" : "default", tags: i % 5 === 0 ? ["five"] : [] }),
        );
        for (const r of runs) await s.createRuns({ runs: [r], now: T0 });
        const seen: RunRecord[] = [];
        let cursor: string | null = null;
        do {
          const page: { runs: readonly RunRecord[]; nextCursor: string | null } = await s.listRuns({ limit: 7, cursor });
          seen.push(...page.runs);
          cursor = page.nextCursor;
        } while (cursor !== null);
        assert.deepEqual(seen.map((r) => r.id), runs.map((r) => r.id).reverse());
        assert.equal((await s.listRuns({ taskId: "odd", limit: 100 })).runs.length, 12);
        assert.equal((await s.listRuns({ queue: "q5", limit: 100 })).runs.length, 5);
        assert.deepEqual((await s.listRuns({ tag: "five", limit: 100 })).runs.map((r) => r.id), [runs[20]!, runs[15]!, runs[10]!, runs[5]!, runs[0]!].map((r) => r.id));
        assert.deepEqual((await s.listRuns({ idPrefix: runs[3]!.id, limit: 100 })).runs.map((r) => r.id), [runs[3]!.id]);
        await s.claimRuns({ workerId: "w", queues: ["q5"], limit: 2, leaseMs: 1000, now: T0 });
        assert.equal((await s.listRuns({ status: ["running"] })).runs.length, 2);
        assert.equal((await s.listRuns({ status: ["running", "queued"], limit: 1000 })).runs.length, 25);
        const parent = runs[0]!.id;
        await s.createRuns({ runs: [newRun({ parentRunId: parent })], now: T0 });
        assert.equal((await s.listRuns({ parentRunId: parent })).runs.length, 1);
      }));

    it("stats counts runs per status and per queue", () =>
      withStore(o, async (s) => {
        await s.createRuns({ runs: [newRun({ queue: "a" }), newRun({ queue: "a" }), newRun({ queue: "b", status: "delayed", runAt: T0 + 1000 })], now: T0 });
        await s.claimRuns({ workerId: "w", queues: ["a"], limit: 1, leaseMs: 1000, now: T0 });
        const st = await s.stats();
        assert.equal(st.byStatus.queued, 1);
        assert.equal(st.byStatus.running, 1);
        assert.equal(st.byStatus.delayed, 1);
        assert.equal(st.byStatus.failed, 0);
        assert.deepEqual(st.queues, [{ queue: "a", pending: 1, running: 1 }, { queue: "b", pending: 1, running: 0 }]);
      }));

    it("metrics buckets finished runs with counts and durations", () =>
      withStore(o, async (s) => {
        const [a, b, c] = await createAndClaim(s, 3, "w", T0);
        await s.completeRuns({ workerId: "w", items: [{ runId: a!, output: "1" }], now: T0 + 100 });
        await s.completeRuns({ workerId: "w", items: [{ runId: b!, output: "1" }], now: T0 + 300 });
        await s.failRun({ workerId: "w", runId: c!, error: "{}", retryAt: null, now: T0 + 60_500 });
        const m = await s.metrics({ since: T0, bucketMs: 60_000 });
        assert.equal(m.length, 2);
        assert.deepEqual([m[0]!.completed, m[0]!.failed, m[0]!.avgDurationMs, m[0]!.maxDurationMs], [2, 0, 200, 300]);
        assert.deepEqual([m[1]!.completed, m[1]!.failed], [0, 1]);
        assert.ok(m[0]!.at <= T0 + 100 && m[1]!.at > m[0]!.at);
      }));

    it("prune deletes finished runs older than the cut-off with their steps and logs", () =>
      withStore(o, async (s) => {
        const [old, recent, open] = await createAndClaim(s, 3, "w", T0);
        await s.saveStep({ workerId: "w", runId: old!, step: { key: "a", parentKey: null, kind: "step", status: "completed", output: "1", error: null, attempts: 1, startedAt: T0, finishedAt: T0, childRunId: null }, now: T0 });
        await s.appendLogs({ runId: old!, logs: [{ key: "#1", level: "info", message: "m", data: null, at: T0, attempt: 1 }] });
        await s.completeRuns({ workerId: "w", items: [{ runId: old!, output: "1" }], now: T0 + 10 });
        await s.completeRuns({ workerId: "w", items: [{ runId: recent!, output: "1" }], now: T0 + 1000 });
        assert.equal(await s.prune({ finishedBefore: T0 + 500, now: T0 + 2000 }), 1);
        assert.equal(await s.getRun({ id: old! }), null);
        assert.deepEqual(await s.getSteps({ runId: old! }), []);
        assert.deepEqual(await s.getLogs({ runId: old! }), []);
        assert.notEqual(await s.getRun({ id: recent! }), null);
        assert.notEqual(await s.getRun({ id: open! }), null, "unfinished runs are never pruned");
      }));

    it("schedules: upsert, list, delete, and a compare-and-set advance that only one caller wins", () =>
      withStore(o, async (s) => {
        const base = { id: "sch-1", taskId: "t", cron: "* * * * *", timezone: null, payload: '{"x":1}', source: "dynamic" as const, nextFireAt: T0 + 60_000, lastFireAt: null };
        const created = await s.upsertSchedule({ schedule: base, now: T0 });
        assert.equal(created.createdAt, T0);
        const updated = await s.upsertSchedule({ schedule: { ...base, cron: "*/2 * * * *" }, now: T0 + 1 });
        assert.equal(updated.cron, "*/2 * * * *");
        assert.equal(updated.createdAt, T0, "createdAt survives an update");
        assert.equal((await s.listSchedules()).length, 1);
        const results = await Promise.all([1, 2].map(() => s.advanceSchedule({ id: "sch-1", expectedNextFireAt: T0 + 60_000, lastFireAt: T0 + 60_000, nextFireAt: T0 + 120_000, now: T0 + 60_000 })));
        assert.deepEqual(results.sort(), [false, true]);
        const [after] = await s.listSchedules();
        assert.deepEqual([after!.lastFireAt, after!.nextFireAt], [T0 + 60_000, T0 + 120_000]);
        assert.equal(await s.deleteSchedule({ id: "sch-1" }), true);
        assert.equal(await s.deleteSchedule({ id: "sch-1" }), false);
      }));

    it("subscribe hears `available` when runs are created", () =>
      withStore(o, async (s) => {
        let heard = 0;
        const off = s.subscribe((n) => {
          if (n.kind === "available") heard++;
        });
        // A store may need a moment to start listening (PostgreSQL LISTEN): keep creating until heard.
        const deadline = Date.now() + 5000;
        while (heard === 0 && Date.now() < deadline) {
          await s.createRuns({ runs: [newRun()], now: T0 });
          await new Promise((r) => setTimeout(r, 50));
        }
        off();
        assert.ok(heard > 0);
      }));
  });
}
