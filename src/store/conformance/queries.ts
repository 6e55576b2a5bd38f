/** Conformance: logs, progress, listRuns (filters, keyset pages), stats, metrics, prune. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ListRunsParams, RunRecord, Store } from "../types.ts";
import { claim, createAndClaim, ERR, newRun, step, T0, wait, withStore, type ConformanceOptions } from "./harness.ts";

async function allPages(s: Store, params: ListRunsParams): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = params.cursor ?? null;
  for (let pages = 0; pages < 1000; pages++) {
    const page: { runs: readonly RunRecord[]; nextCursor: string | null } = await s.listRuns({ ...params, cursor });
    assert.ok(page.runs.length <= (params.limit ?? 50));
    seen.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
    if (cursor === null) return seen;
  }
  throw new Error("listRuns: more than 1000 pages");
}

export function queriesConformance(o: ConformanceOptions): void {
  describe(`${o.name}: logs, listing, stats, metrics, prune`, () => {
    it("appendLogs ignores keys already stored; getLogs returns every field in insertion order", () =>
      withStore(o, async (s) => {
        const [id, other] = await createAndClaim(s, 2, "w1");
        const log = (key: string, message: string, at = T0) => ({ key, level: "info" as const, message, data: null, at, attempt: 1 });
        await s.appendLogs({ runId: id!, logs: [log("#1", "one"), { key: "#2", level: "warn", message: "two", data: '{"n":2}', at: T0 + 1, attempt: 2 }] });
        await s.appendLogs({ runId: id!, logs: [log("#1", "one again"), log("#3", "three", T0 - 5)] });
        await s.appendLogs({ runId: other!, logs: [log("#1", "other run")] });
        await s.appendLogs({ runId: id!, logs: [] });
        const logs = await s.getLogs({ runId: id! });
        assert.deepEqual(logs.map((l) => l.message), ["one", "two", "three"]);
        assert.deepEqual(logs[1], { runId: id, key: "#2", level: "warn", message: "two", data: '{"n":2}', at: T0 + 1, attempt: 2 });
        assert.deepEqual((await s.getLogs({ runId: other! })).map((l) => l.message), ["other run"]);
        assert.deepEqual(await s.getLogs({ runId: "missing" }), []);
      }));

    it("setProgress stores the fraction and message", () =>
      withStore(o, async (s) => {
        const [id] = await createAndClaim(s, 1, "w1");
        await s.setProgress({ runId: id!, progress: 0.5, message: "half", now: T0 + 1 });
        let r = (await s.getRun({ id: id! }))!;
        assert.deepEqual([r.progress, r.progressMessage], [0.5, "half"]);
        await s.setProgress({ runId: id!, progress: 1, message: null, now: T0 + 2 });
        r = (await s.getRun({ id: id! }))!;
        assert.deepEqual([r.progress, r.progressMessage], [1, null]);
      }));

    it("listRuns: newest first, keyset pages with no gaps or duplicates, every filter", () =>
      withStore(o, async (s) => {
        const runs = Array.from({ length: 25 }, (_, i) =>
          newRun({ taskId: i % 2 ? "odd" : "even", queue: i < 5 ? "q5" : "default", tags: i % 5 === 0 ? ["five", "x"] : ["x"] }),
        );
        for (const r of runs) await s.createRuns({ runs: [r], now: T0 });
        const newestFirst = runs.map((r) => r.id).reverse();
        assert.deepEqual(await allPages(s, { limit: 7 }), newestFirst);
        assert.deepEqual(await allPages(s, { limit: 25 }), newestFirst);
        assert.deepEqual(await allPages(s, { taskId: "odd", limit: 4 }), newestFirst.filter((_, i) => (24 - i) % 2 === 1));
        assert.deepEqual(await allPages(s, { queue: "q5", limit: 2 }), newestFirst.slice(20));
        assert.deepEqual(await allPages(s, { tag: "five", limit: 2 }), [20, 15, 10, 5, 0].map((i) => runs[i]!.id));
        assert.equal((await allPages(s, { tag: "x", limit: 10 })).length, 25);
        assert.deepEqual((await s.listRuns({ tag: "nope" })).runs, []);
        assert.deepEqual((await s.listRuns({ idPrefix: runs[3]!.id })).runs.map((r) => r.id), [runs[3]!.id]);
        await claim(s, "w", T0, { queues: ["q5"], limit: 2 });
        assert.equal((await s.listRuns({ status: ["running"] })).runs.length, 2);
        assert.equal((await s.listRuns({ status: ["running", "queued"], limit: 1000 })).runs.length, 25);
        assert.equal((await s.listRuns({ status: ["failed"] })).runs.length, 0);
        // Claim order is by id here: runs 0 and 1 are running; of q5's even runs (0, 2, 4), 2 and 4 are queued.
        assert.deepEqual((await s.listRuns({ status: ["queued"], queue: "q5", taskId: "even" })).runs.map((r) => r.id), [runs[4]!.id, runs[2]!.id]);
        const parent = runs[0]!.id;
        const kid = newRun({ parentRunId: parent });
        await s.createRuns({ runs: [kid], now: T0 });
        assert.deepEqual((await s.listRuns({ parentRunId: parent })).runs.map((r) => r.id), [kid.id]);
        const page1 = await s.listRuns({ limit: 10 });
        assert.equal(page1.runs[0]!.id, kid.id, "the newest run shows first");
        const later = [newRun(), newRun()];
        await s.createRuns({ runs: later, now: T0 });
        const rest = await allPages(s, { limit: 10, cursor: page1.nextCursor });
        assert.deepEqual([...page1.runs.map((r) => r.id), ...rest], [kid.id, ...newestFirst], "runs created meanwhile do not shift later pages");
        const [top] = (await s.listRuns({ limit: 1 })).runs;
        assert.deepEqual(top, await s.getRun({ id: later[1]!.id }), "list records equal getRun records");
      }));

    it("listRuns: 50 by default, at most 1000 per page", () =>
      withStore(o, async (s) => {
        await s.createRuns({ runs: Array.from({ length: 1005 }, () => newRun()), now: T0 });
        const def = await s.listRuns({});
        assert.equal(def.runs.length, 50);
        assert.notEqual(def.nextCursor, null);
        const big = await s.listRuns({ limit: 5000 });
        assert.equal(big.runs.length, 1000);
        const rest = await s.listRuns({ limit: 5000, cursor: big.nextCursor });
        assert.equal(rest.runs.length, 5);
        assert.equal(rest.nextCursor, null);
      }));

    it("stats counts runs per status and pending/running per queue", () =>
      withStore(o, async (s) => {
        await s.createRuns({ runs: [newRun({ queue: "a" }), newRun({ queue: "a" }), newRun({ queue: "b", status: "delayed", runAt: T0 + 1000 }), newRun({ queue: "c" })], now: T0 });
        await claim(s, "w", T0, { queues: ["a"], limit: 1 });
        const [c] = await claim(s, "w", T0, { queues: ["c"] });
        await s.failRun({ workerId: "w", runId: c!.run.id, error: ERR, retryAt: null, now: T0 });
        const st = await s.stats();
        assert.deepEqual(st.byStatus, { queued: 1, delayed: 1, running: 1, waiting: 0, completed: 0, failed: 1, canceled: 0, expired: 0 });
        assert.deepEqual(
          [...st.queues].sort((x, y) => x.queue.localeCompare(y.queue)),
          [{ queue: "a", pending: 1, running: 1 }, { queue: "b", pending: 1, running: 0 }],
        );
      }));

    it("metrics buckets finished runs since `since` with counts and durations", () =>
      withStore(o, async (s) => {
        const [early, a, b, c] = await createAndClaim(s, 4, "w", T0);
        await s.completeRuns({ workerId: "w", items: [{ runId: early!, output: "1" }], now: T0 + 5 });
        const since = T0 + 60_000;
        await s.completeRuns({ workerId: "w", items: [{ runId: a!, output: "1" }], now: since + 100 });
        await s.completeRuns({ workerId: "w", items: [{ runId: b!, output: "1" }], now: since + 300 });
        await s.failRun({ workerId: "w", runId: c!, error: ERR, retryAt: null, now: since + 60_500 });
        const m = await s.metrics({ since, bucketMs: 60_000 });
        assert.equal(m.length, 2);
        assert.deepEqual([m[0]!.completed, m[0]!.failed, m[0]!.avgDurationMs, m[0]!.maxDurationMs], [2, 0, 60_200, 60_300]);
        assert.deepEqual([m[1]!.completed, m[1]!.failed, m[1]!.avgDurationMs, m[1]!.maxDurationMs], [0, 1, 120_500, 120_500]);
        assert.ok(m[0]!.at <= since + 100 && m[0]!.at > since + 100 - 60_000, "a bucket starts at or before its runs");
        assert.ok(m[1]!.at > m[0]!.at);
        assert.deepEqual(await s.metrics({ since: since + 1e9, bucketMs: 60_000 }), []);
      }));

    it("prune deletes finished runs older than the cut-off with their steps, waits and logs, and old events", () =>
      withStore(o, async (s) => {
        const [old, recent, open] = await createAndClaim(s, 3, "w", T0);
        await s.saveStep({ workerId: "w", runId: old!, step: step("a"), now: T0 });
        await s.appendLogs({ runId: old!, logs: [{ key: "#1", level: "info", message: "m", data: null, at: T0, attempt: 1 }] });
        await s.completeRuns({ workerId: "w", items: [{ runId: old!, output: "1" }], now: T0 + 10 });
        await s.completeRuns({ workerId: "w", items: [{ runId: recent!, output: "1" }], now: T0 + 1000 });
        await s.sendEvent({ id: "old-event", name: "e", payload: '"old"', now: T0 + 1 });
        await s.sendEvent({ id: "new-event", name: "f", payload: '"new"', now: T0 + 600 });
        assert.equal(await s.prune({ finishedBefore: T0 + 500, now: T0 + 2000 }), 1);
        assert.equal(await s.getRun({ id: old! }), null);
        assert.deepEqual(await s.getSteps({ runId: old! }), []);
        assert.deepEqual(await s.getLogs({ runId: old! }), []);
        assert.notEqual(await s.getRun({ id: recent! }), null);
        assert.notEqual(await s.getRun({ id: open! }), null, "unfinished runs are never pruned");
        // Events: a wait that began before both events sees only the one that survived.
        await s.suspendRun({ workerId: "w", runId: open!, waits: [wait({ key: "e", kind: "event", eventName: "e", createdAt: T0 })], now: T0 + 2000 });
        assert.equal((await s.getRun({ id: open! }))!.status, "waiting", "the old event was pruned");
        const [again] = await createAndClaim(s, 1, "w", T0 + 2000);
        assert.equal(await s.suspendRun({ workerId: "w", runId: again!, waits: [wait({ key: "f", kind: "event", eventName: "f", createdAt: T0 })], now: T0 + 2000 }), "queued");
        assert.equal(await s.prune({ finishedBefore: T0 + 500, now: T0 + 3000 }), 0);
      }));
  });
}
