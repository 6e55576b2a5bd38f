/**
 * listRuns on PostgreSQL through each of its paths: a common tag (found among the newest runs), a
 * rare tag (read through the tag index), a task filter (running runs come from runs_running, the
 * others from runs_task_id), each paged with the cursor and compared with a filter over every run.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { postgresStore } from "errand/postgres";
import type { ListRunsParams, NewRun, RunRecord, Store } from "../../src/store/types.ts";
import { newId } from "../../src/store/ids.ts";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

const T = 1_800_000_000_000;

function run(i: number): NewRun {
  const tags = [...(i % 2 === 0 ? ["common"] : []), ...(i === 77 ? ["rare"] : [])];
  return {
    id: newId(T + i), taskId: i % 3 === 0 ? "a" : "b", queue: "q", concurrencyKey: null, payload: "{}", priority: 0, runAt: T,
    status: "queued", maxAttempts: 3, idempotencyKey: null, idempotencyExpiresAt: null, expiresAt: null, tags, parentRunId: null, scheduleId: null,
  };
}

async function pages(s: Store, p: ListRunsParams): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { runs: readonly RunRecord[]; nextCursor: string | null } = await s.listRuns({ ...p, cursor, limit: 20 });
    out.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

describe("PostgreSQL: listRuns paths", () => {
  it("tag, task and status filters page through exactly the matching runs, newest first", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("errand_list");
    const store = postgresStore({ connectionString: url, schema: uniqueSchema("ls") });
    try {
      await store.migrate();
      const runs = Array.from({ length: 150 }, (_, i) => run(i));
      await store.createRuns({ runs, now: T });
      const claimed = await store.claimRuns({ workerId: "w", queues: null, limit: 40, leaseMs: 30_000, now: T + 1 });
      await store.completeRuns({ workerId: "w", items: claimed.slice(0, 20).map((x) => ({ runId: x.run.id, output: "1" })), now: T + 2 });
      const all = (await pages(store, {})).map((id) => id);
      assert.equal(all.length, 150);
      const byId = new Map<string, RunRecord>();
      for (const id of all) byId.set(id, (await store.getRun({ id }))!);
      const expect = (f: (r: RunRecord) => boolean) => all.filter((id) => f(byId.get(id)!));

      assert.deepEqual(await pages(store, { tag: "common" }), expect((r) => r.tags.includes("common")), "a common tag (newest runs walked)");
      assert.deepEqual(await pages(store, { tag: "rare" }), expect((r) => r.tags.includes("rare")), "a rare tag (tag index)");
      assert.deepEqual(await pages(store, { tag: "none" }), []);
      assert.deepEqual(await pages(store, { taskId: "a" }), expect((r) => r.taskId === "a"), "a task, running runs included");
      assert.deepEqual(await pages(store, { taskId: "a", status: ["running"] }), expect((r) => r.taskId === "a" && r.status === "running"));
      assert.deepEqual(await pages(store, { taskId: "b", status: ["completed", "queued"] }), expect((r) => r.taskId === "b" && r.status !== "running"));
      assert.deepEqual(
        await pages(store, { taskId: "b", tag: "common", status: ["running", "completed"] }),
        expect((r) => r.taskId === "b" && r.tags.includes("common") && (r.status === "running" || r.status === "completed")),
      );
      assert.ok(expect((r) => r.status === "running").length === 20 && expect((r) => r.status === "completed").length === 20);
    } finally {
      await store.close();
    }
  });
});
