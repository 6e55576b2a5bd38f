/**
 * listRuns on SQLite picks where each status is read from by the exact counts (list.ts): whichever it
 * picks, every filter pages through exactly the runs that match, newest first. Checked against the
 * unfiltered list, with queued runs many (a walk of the primary key) and few (a sort of the claim index).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import type { ListRunsParams, RunRecord, Store } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";

async function all(s: Store, p: ListRunsParams): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { runs: readonly RunRecord[]; nextCursor: string | null } = await s.listRuns({ ...p, limit: 37, cursor });
    ids.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

/**
 * 1,500 runs over 3 tasks: `queued` of them stay queued, the rest are claimed and then finished in a
 * mix of ways; some are released (queued again, among older runs that are not).
 */
async function fixture(queued: number): Promise<Store> {
  const s = sqliteStore({ path: ":memory:" });
  await s.migrate();
  const runs = Array.from({ length: 1500 }, (_, i) => newRun({ taskId: `t${i % 3}`, queue: "q" }));
  await s.createRuns({ runs, now: T0 });
  const claimed = await s.claimRuns({ workerId: "w", queues: null, limit: 1500 - queued, leaseMs: 60_000, now: T0 });
  for (const [i, c] of claimed.entries()) {
    const id = c.run.id;
    if (i % 10 === 1) await s.failRun({ workerId: "w", runId: id, error: "{}", retryAt: null, now: T0 + 1 });
    else if (i % 10 === 2) await s.failRun({ workerId: "w", runId: id, error: "{}", retryAt: T0 + 1e9, now: T0 + 1 });
    else if (i % 10 === 3) await s.cancelRun({ id, error: "{}", now: T0 + 1 });
    else if (i % 10 === 5) await s.releaseRuns({ workerId: "w", runIds: [id], now: T0 + 1 });
    else if (i % 10 !== 4) await s.completeRuns({ workerId: "w", items: [{ runId: id, output: "1" }], now: T0 + 1 });
  }
  return s;
}

describe("sqlite listRuns by status", () => {
  for (const queued of [1200, 30]) {
    it(`returns exactly the matching runs for every status, alone and with a task (${queued} queued of 1,500)`, async () => {
      const s = await fixture(queued);
      const everything = (await s.listRuns({ limit: 1000 })).runs.concat((await s.listRuns({ limit: 1000, cursor: (await s.listRuns({ limit: 1000 })).nextCursor })).runs);
      assert.equal(everything.length, 1500);
      for (const status of ["queued", "running", "completed", "failed", "delayed", "canceled"] as const) {
        const want = everything.filter((r) => r.status === status).map((r) => r.id);
        assert.ok(want.length > 0, `the fixture has ${status} runs`);
        assert.deepEqual(await all(s, { status: [status] }), want, status);
        assert.deepEqual(await all(s, { status: [status], taskId: "t1" }), everything.filter((r) => r.status === status && r.taskId === "t1").map((r) => r.id), `${status}, task t1`);
      }
      const ofTask = everything.filter((r) => r.taskId === "t1");
      assert.deepEqual(await all(s, { taskId: "t1" }), ofTask.map((r) => r.id), "task t1, every status");
      assert.deepEqual(
        await all(s, { taskId: "t1", status: ["queued", "completed"] }),
        ofTask.filter((r) => r.status === "queued" || r.status === "completed").map((r) => r.id),
        "task t1, queued and completed",
      );
      const mixed = everything.filter((r) => r.status === "queued" || r.status === "failed" || r.status === "running").map((r) => r.id);
      assert.deepEqual(await all(s, { status: ["queued", "failed", "running"] }), mixed, "several statuses");
      await s.close();
    });
  }
});
