/**
 * Issue 13, "done when": a short soak on each store. Three worker processes drain a steady trickle of
 * two-step runs while the test SIGKILLs two of them at random (starting a replacement each time),
 * freezes one worker's event loop for 3 s (longer than the lease), and holds the SQLite write lock
 * from another process or drops the workers' PostgreSQL connections (pg_terminate_backend). Then:
 *
 * - every run completed exactly once, with the right output, and the store's counts agree;
 * - steps ran again only because of an interruption: no step ran more than once per interruption,
 *   and all re-executions together stay under what the interruptions could have cut short;
 * - every surviving worker — the frozen one included — still claims work afterwards.
 *
 * Deadlines are generous (the machine may be busy); nothing here asserts a duration.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { createEngine, type Engine } from "errand";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "errand/store";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { sleep, tempDb, until } from "../support/temp.ts";
import { Cluster } from "./cluster.ts";
import { expectedOutput, FREEZE_MS, makeSoakTasks } from "./fixtures/soak-tasks.ts";

const CONCURRENCY = 4;
const LEASE_MS = 2_500; // shorter than the freeze, longer than the held lock
const LOCK_MS = 1_500;
const WORKERS = 3;
/** Most processes alive at once (a replacement may start before the next kill). */
const MAX_LIVE = WORKERS + 1;
const APP = "errand-soak";

const clusters: Cluster[] = [];
after(async () => {
  for (const c of clusters) c.killAll();
  await stopTestPgServer();
});

interface Target {
  readonly store: Store;
  /** Worker arguments after the kind (fixtures/soak-worker.ts), without the side path. */
  readonly worker: (side: string) => string[];
  /** The store's own trouble: resolves to how many interruptions it caused. */
  disrupt(): Promise<number>;
}

/** Triggers 5 runs every 100 ms until stopped; returns their ids and payload numbers. */
function trickle(engine: Engine, work: ReturnType<typeof makeSoakTasks>["work"]) {
  const runs: { id: string; i: number }[] = [];
  let on = true;
  const done = (async () => {
    for (let n = 0; on; n++) {
      const items = Array.from({ length: 5 }, (_, k) => ({ i: n * 5 + k, ms: 15 }));
      const handles = await engine.batchTrigger(work, items);
      handles.forEach((h, k) => runs.push({ id: h.id, i: items[k]!.i }));
      await sleep(100);
    }
  })();
  return { runs, stop: async () => ((on = false), await done) };
}

async function soak(target: Target): Promise<void> {
  const sidePath = tempDb("side.db");
  const { work, freeze, side } = makeSoakTasks(sidePath);
  const engine = createEngine({ store: target.store, tasks: [work, freeze] });
  await engine.store.migrate();
  const cluster = new Cluster(target.worker(sidePath));
  clusters.push(cluster);
  const t0 = Date.now();
  const phases: string[] = [];
  const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let flow: ReturnType<typeof trickle> | null = null;
  try {
    await Promise.all(Array.from({ length: WORKERS }, () => cluster.start()));
    phase("started");
    flow = trickle(engine, work);
    let interruptions = 0;
    const replacements: Promise<unknown>[] = [];

    await sleep(1_000);
    const first = await cluster.killRandom();
    interruptions++;
    replacements.push(cluster.start());

    await sleep(500);
    const frozen = await engine.trigger(freeze, undefined);
    const frozenPid: number = await until(
      () => (side.prepare("SELECT pid FROM steps WHERE run_id = ? ORDER BY at LIMIT 1").get(frozen.id) as { pid: number } | undefined)?.pid ?? 0,
      "a worker started the freezing run",
      30_000,
    );
    interruptions++;

    await sleep(1_000);
    interruptions += await target.disrupt();

    await sleep(500);
    const second = await cluster.killRandom(new Set([frozenPid]));
    interruptions++;
    replacements.push(cluster.start());

    await sleep(1_500);
    await flow.stop();
    const runs = flow.runs;
    phase("trouble over");
    await until(async () => (await engine.runs.stats()).byStatus.completed === runs.length + 1, `${runs.length + 1} runs completed`, 120_000, 200);
    phase("drained");
    await Promise.all(replacements);

    // Afterwards every surviving worker still claims. The workers' prefetch buffers are sized from the
    // trouble phase's short runs (~30 ms: up to ~13 runs each beyond the slots), so the first workers
    // to wake can buffer a small batch between them and leave a late one nothing to claim. Ten rounds
    // of every slot (0.2 s runs) keep runs queued for over a second after those buffers are full,
    // while every worker polls each 50 ms: a worker that claims at all gets some.
    const late = await engine.batchTrigger(work, Array.from({ length: CONCURRENCY * MAX_LIVE * 10 }, (_, k) => ({ i: 100_000 + k, ms: 100 })));
    for (const h of late) assert.equal((await engine.runs.wait(h.id, { timeoutMs: 120_000 })).ok, true);
    const lateIds = JSON.stringify(late.map((h) => h.id));
    for (const m of cluster.live()) {
      const n = side.prepare("SELECT count(*) AS n FROM steps WHERE pid = ? AND run_id IN (SELECT value FROM json_each(?))").get(m.pid, lateIds) as { n: number };
      assert.ok(n.n > 0, `worker ${m.pid}${m.pid === frozenPid ? " (the frozen one)" : ""} claimed nothing after the trouble`);
    }
    phase("late runs done");
    assert.deepEqual(await cluster.stop(), cluster.live().map(() => 0), "the surviving workers stop cleanly");
    phase("stopped");

    // The trouble happened as planned.
    assert.ok(first.killed && second.killed && first.pid !== second.pid);
    const freezes = side.prepare("SELECT pid, started, ended FROM freezes").all() as { pid: number; started: number; ended: number }[];
    assert.equal(freezes.length, 1, "one freeze");
    assert.equal(freezes[0]!.pid, frozenPid);
    assert.ok(freezes[0]!.ended - freezes[0]!.started >= FREEZE_MS - 10);

    // Every run completed once, with its output; the counts agree.
    const all = [...runs, ...late.map((h, k) => ({ id: h.id, i: 100_000 + k }))];
    for (const r of all) {
      const got = await engine.runs.get(r.id);
      assert.equal(got?.status, "completed", `run ${r.id}`);
      assert.deepEqual(got.output, expectedOutput(r.i), `output of run ${r.id}`);
    }
    assert.equal((await engine.runs.get(frozen.id))?.output, "thawed");
    const stats = (await engine.runs.stats()).byStatus;
    assert.equal(stats.completed, all.length + 1, "completed count");
    assert.equal(stats.failed + stats.running + stats.queued, 0, JSON.stringify(stats));

    // Steps ran again only for an interruption, and not more than the interruptions could cause.
    const perStep = side.prepare("SELECT run_id, step, count(*) AS n FROM steps GROUP BY run_id, step").all() as { run_id: string; step: string; n: number }[];
    const work2 = all.length * 2;
    assert.equal(perStep.filter((s) => s.step !== "freeze").length, work2, "every step of every run ran");
    const most = Math.max(...perStep.map((s) => s.n));
    const extra = perStep.reduce((sum, s) => sum + s.n - 1, 0);
    assert.ok(most <= 1 + interruptions, `a step ran ${most} times with ${interruptions} interruptions`);
    assert.ok(extra <= interruptions * CONCURRENCY * MAX_LIVE, `${extra} re-executed steps for ${interruptions} interruptions`);
    console.log(`# soak ${engine.store.name.split(":")[0]}: ${all.length + 1} runs, ${interruptions} interruptions, ${extra} steps re-executed; ${phases.join(", ")}`);
  } finally {
    await flow?.stop().catch(() => {});
    cluster.killAll();
    await engine.close();
    side.close();
  }
}

describe("soak: killed workers, a frozen loop and store trouble lose nothing and run nothing twice", () => {
  it("SQLite: SIGKILLs, a 3 s freeze and another process holding the write lock", { timeout: 240_000 }, async () => {
    const path = tempDb();
    await soak({
      store: sqliteStore({ path }),
      worker: (side) => ["sqlite", path, side, String(CONCURRENCY), String(LEASE_MS)],
      async disrupt() {
        // Another connection (of this process; to the workers, another process) takes the write lock.
        const holder = new Database(path);
        holder.exec("BEGIN IMMEDIATE");
        await sleep(LOCK_MS);
        holder.exec("COMMIT");
        holder.close();
        return 1;
      },
    });
  });

  it("PostgreSQL: SIGKILLs, a 3 s freeze and the workers' connections dropped twice", { timeout: 240_000 }, async () => {
    const url = await freshDatabase("errand_soak");
    const workerUrl = `${url}${url.includes("?") ? "&" : "?"}application_name=${APP}`;
    await soak({
      store: postgresStore({ connectionString: url, schema: "soak" }),
      worker: (side) => ["postgres", workerUrl, side, String(CONCURRENCY), String(LEASE_MS), "soak"],
      async disrupt() {
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          const drop = async () => (await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [APP])).rowCount;
          for (let round = 0; round < 2; round++) {
            await until(drop, "a worker connection to drop", 30_000, 50);
            await sleep(700);
          }
        } finally {
          await admin.end();
        }
        return 2;
      },
    });
  });
});
