/**
 * Issue 3, acceptance 1 and 2: several worker processes on one SQLite file; SIGKILL mid-run.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";
import { makeTasks } from "./fixtures/tasks.ts";

const WORKER = fileURLToPath(new URL("./fixtures/worker-process.ts", import.meta.url));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

function startWorker(db: string, concurrency: number, leaseMs: number, prefetch = 0): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, db, String(concurrency), String(leaseMs), String(prefetch)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`worker process exited early with ${code}`)));
  });
}

function stopWorker(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describe("several worker processes on one SQLite file", () => {
  it("1,000 runs by 3 processes: each completes exactly once, none lost, queue limit never exceeded", { timeout: 120_000 }, async () => {
    const db = tempDb();
    const { tasks, side } = makeTasks(db);
    const engine = createEngine({ store: sqliteStore({ path: db }), tasks });
    const limited = tasks[0]!;
    // The third process claims ahead (prefetch): its buffered runs count against the limit too.
    // The runs are triggered once all three are ready: a process that started first under load would
    // otherwise drain the whole queue before the others had loaded.
    const workers = await Promise.all([startWorker(db, 8, 30_000), startWorker(db, 8, 30_000), startWorker(db, 8, 30_000, 8)]);
    const handles = await engine.batchTrigger(limited, Array.from({ length: 1000 }, (_, i) => ({ i })));
    assert.equal(new Set(handles.map((h) => h.id)).size, 1000);
    await until(async () => (await engine.runs.stats()).byStatus.completed === 1000, "1000 completed runs", 100_000, 100);
    const codes = await Promise.all(workers.map(stopWorker));
    assert.deepEqual(codes, [0, 0, 0]);

    const perRun = side.prepare("SELECT run_id, count(*) AS n FROM executions GROUP BY run_id").all() as { run_id: string; n: number }[];
    assert.equal(perRun.length, 1000, "every run executed");
    assert.ok(perRun.every((r) => r.n === 1), "no run executed twice");
    const pids = side.prepare("SELECT count(DISTINCT pid) AS n FROM executions").get() as { n: number };
    assert.ok(pids.n >= 2, `work was shared between processes (pids: ${pids.n})`);
    const live = side.prepare("SELECT n, max FROM live").get() as { n: number; max: number };
    assert.ok(live.max <= 3, `concurrency limit 3 held across processes (max seen ${live.max})`);
    assert.equal(live.n, 0);
    const results = await Promise.all(handles.slice(0, 20).map((h) => engine.runs.wait(h.id)));
    assert.deepEqual(results.map((r) => (r.ok ? r.output : null)), Array.from({ length: 20 }, (_, i) => i));
    await engine.close();
    side.close();
  });

  it("a worker killed with SIGKILL mid-run: its runs complete on a surviving worker after lease expiry", { timeout: 60_000 }, async () => {
    const db = tempDb();
    const { tasks, side } = makeTasks(db);
    const engine = createEngine({ store: sqliteStore({ path: db }), tasks });
    const victim = await startWorker(db, 4, 1000);
    const handles = await engine.batchTrigger(tasks[1]!, [{ ms: 3000 }, { ms: 3000 }]);
    await until(
      () => (side.prepare("SELECT count(*) AS n FROM executions WHERE pid = ?").get(victim.pid) as { n: number }).n === 2,
      "the victim started both runs",
    );
    victim.kill("SIGKILL");
    const survivor = await startWorker(db, 4, 1000);
    const results = await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 30_000 })));
    for (const r of results) {
      assert.ok(r.ok, "the run completed");
      assert.equal((r.output as { pid: number }).pid, survivor.pid, "on the survivor");
    }
    const runs = await Promise.all(handles.map((h) => engine.runs.get(h.id)));
    assert.ok(runs.every((r) => r!.attempt === 2), "the takeover counted as a second attempt");
    assert.equal(await stopWorker(survivor), 0);
    await engine.close();
    side.close();
  });
});
