/** Issue 5, acceptance 1, 2 and the cross-process limits: several worker processes on PostgreSQL. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine } from "errand";
import { postgresStore } from "errand/postgres";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { until } from "../support/temp.ts";
import { makePgTasks, setupSide } from "./fixtures/pg-tasks.ts";
import { killAll, startPgWorker, stopPgWorker } from "./helpers.ts";

after(async () => {
  killAll();
  await stopTestPgServer();
});

async function setup(url: string) {
  const schema = uniqueSchema("so");
  const side = await setupSide(url, schema);
  const tasks = makePgTasks(side, schema);
  const engine = createEngine({ store: postgresStore({ connectionString: url, schema, maxConnections: 4 }), tasks });
  return { schema, side, tasks, engine, t: `"${schema}_side"` };
}

describe("PostgreSQL: many worker processes", () => {
  it("4 processes, 5,000 runs with steps and sleeps: each completes exactly once, nothing lost", { timeout: 240_000 }, async () => {
    const url = await freshDatabase("errand_scale");
    const { schema, side, tasks, engine, t } = await setup(url);
    const handles = await engine.batchTrigger(tasks[0]!, Array.from({ length: 5000 }, (_, i) => ({ i, sleepMs: 50 })));
    const workers = await Promise.all([1, 2, 3, 4].map(() => startPgWorker(url, schema, 16)));
    await until(async () => (await engine.runs.stats()).byStatus.completed === 5000, "5000 completed", 200_000, 250);
    assert.deepEqual(await Promise.all(workers.map(stopPgWorker)), [0, 0, 0, 0]);
    const done = await side.query<{ run_id: string; n: string }>(`SELECT run_id, count(*) AS n FROM ${t}.done GROUP BY run_id`);
    assert.equal(done.rows.length, 5000, "every run completed");
    const twice = done.rows.filter((r) => r.n !== "1").map((r) => r.run_id);
    if (twice.length > 0) {
      const detail = await side.query(`SELECT * FROM ${t}.done WHERE run_id = ANY($1) ORDER BY run_id, at`, [twice.slice(0, 5)]);
      const runs = await Promise.all(twice.slice(0, 5).map((id) => engine.runs.get(id)));
      assert.fail(`${twice.length} runs completed twice: ${JSON.stringify(detail.rows)} ${JSON.stringify(runs.map((x) => x && { id: x.id, attempt: x.attempt, status: x.status, error: x.error }))}`);
    }
    const effects = await side.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}.effects`);
    assert.equal(Number(effects.rows[0]!.n), 10_000, "each step's side effect exactly once");
    const pids = await side.query<{ n: string }>(`SELECT count(DISTINCT pid) AS n FROM ${t}.done`);
    assert.ok(Number(pids.rows[0]!.n) >= 2, "shared between processes");
    const sample = await engine.runs.wait(handles[7]!.id);
    assert.ok(sample.ok && sample.output === 14);
    await engine.close();
    await side.end();
  });

  it("queue concurrencyLimit holds across 4 processes", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_limits");
    const { schema, side, tasks, engine, t } = await setup(url);
    await engine.batchTrigger(tasks[1]!, Array.from({ length: 36 }, (_, i) => ({ i, ms: 250 })));
    const workers = await Promise.all([1, 2, 3, 4].map(() => startPgWorker(url, schema, 8)));
    await until(async () => (await engine.runs.stats()).byStatus.completed === 36, "36 completed", 100_000, 100);
    await Promise.all(workers.map(stopPgWorker));
    const live = await side.query<{ n: number; max: number }>(`SELECT n, max FROM ${t}.live WHERE id = 1`);
    const max = live.rows[0]!.max;
    assert.ok(max <= 3, `limit 3 held (max seen ${max})`);
    assert.ok(max >= 2, `and runs did run in parallel (max seen ${max})`);
    await engine.close();
    await side.end();
  });

  it("concurrencyKey limits hold per key across 4 processes", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_keys");
    const { schema, side, tasks, engine, t } = await setup(url);
    const keys = ["tenant-a", "tenant-b", "tenant-c"];
    const items = Array.from({ length: 36 }, (_, i) => {
      const key = keys[i % 3]!;
      return { payload: { key, ms: 250 }, options: { concurrencyKey: key } };
    });
    await engine.batchTrigger(tasks[3], items);
    const workers = await Promise.all([1, 2, 3, 4].map(() => startPgWorker(url, schema, 8)));
    await until(async () => (await engine.runs.stats()).byStatus.completed === 36, "36 completed", 100_000, 100);
    await Promise.all(workers.map(stopPgWorker));
    const perKey = await side.query<{ key: string; max: number }>(`SELECT key, max FROM ${t}.live_keys ORDER BY key`);
    assert.deepEqual(
      perKey.rows.map((r) => r.key),
      keys,
    );
    for (const r of perKey.rows) assert.ok(r.max <= 2, `limit 2 held for ${r.key} (max seen ${r.max})`);
    const overall = await side.query<{ max: number }>(`SELECT max FROM ${t}.live WHERE id = 2`);
    assert.ok(overall.rows[0]!.max >= 3, `the limit is per key, not per queue (max seen at once ${overall.rows[0]!.max})`);
    const done = await side.query<{ n: string }>(`SELECT count(DISTINCT run_id) AS n FROM ${t}.done`);
    assert.equal(Number(done.rows[0]!.n), 36);
    await engine.close();
    await side.end();
  });

  it("SIGKILL one worker mid-flight: its runs complete elsewhere after lease expiry", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("errand_kill");
    const { schema, side, tasks, engine, t } = await setup(url);
    const victim = await startPgWorker(url, schema, 4, 1000);
    const handles = await engine.batchTrigger(tasks[2]!, [{ ms: 3000 }, { ms: 3000 }, { ms: 3000 }]);
    await until(
      async () => Number((await side.query<{ n: string }>(`SELECT count(DISTINCT run_id) AS n FROM ${t}.effects WHERE step = $1`, [`start:${victim.pid}`])).rows[0]!.n) === 3,
      "the victim started all three",
    );
    victim.kill("SIGKILL");
    const survivor = await startPgWorker(url, schema, 4, 1000);
    const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 60_000 })));
    for (const r of results) assert.ok(r.ok && (r.output as { pid: number }).pid === survivor.pid);
    assert.equal(await stopPgWorker(survivor), 0);
    await engine.close();
    await side.end();
  });
});
