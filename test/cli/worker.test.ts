/**
 * Issue 6, acceptance 3–4: `errand worker` stops gracefully on SIGTERM; two worker processes with a
 * per-second schedule produce exactly one run per fire time. Also `errand trigger --wait` with progress.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sleep, until } from "../support/temp.ts";
import { createProject, errand, spawnErrand, type Project } from "./project.ts";

const CONFIG = `
import { writeFileSync } from "node:fs";
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";

const slow = defineTask({
  id: "slow",
  run: async (p: { ms: number }, ctx) => {
    writeFileSync("started-" + ctx.run.id, "");
    await new Promise((r) => setTimeout(r, p.ms));
    return { slept: p.ms };
  },
});

const steps = defineTask({
  id: "steps",
  run: async (p: { n: number }, ctx) => {
    for (let i = 1; i <= p.n; i++) {
      await ctx.step("part-" + i, () => new Promise((r) => setTimeout(r, 150)));
      await ctx.progress(i / p.n, "part " + i + " of " + p.n);
    }
    return { parts: p.n };
  },
});

const tick = defineTask({
  id: "tick",
  schedule: "* * * * * *",
  run: async (p: { scheduledAt: string }) => ({ at: p.scheduledAt }),
});

export const store = sqliteStore({ path: "errand.db" });
export const tasks = process.env.WITH_SCHEDULE === "1" ? [slow, steps, tick] : [slow, steps];
`;

interface RunJson {
  readonly id: string;
  readonly status: string;
  readonly idempotencyKey: string | null;
  readonly payload: { scheduledAt: string; lastScheduledAt: string | null; scheduleId: string };
}

function startWorker(project: Project, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const w = spawnErrand(project, ["worker", "--poll", "100ms", ...args], env);
  return { ...w, ready: until(() => w.stdout().includes("errand worker: started"), "worker started", 60_000, 50) };
}

describe("errand worker", () => {
  it("SIGTERM: in-flight runs finish, then exit 0", { timeout: 120_000 }, async () => {
    const project = createProject(CONFIG);
    const ids: string[] = [];
    for (const ms of [1500, 1800]) {
      const r = await errand(project, ["trigger", "slow", "--ms", String(ms), "--json"]);
      assert.equal(r.code, 0, r.stderr);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    const worker = startWorker(project, ["--concurrency", "4"]);
    await worker.ready;
    await until(() => ids.every((id) => existsSync(join(project.dir, `started-${id}`))), "both runs started", 60_000, 20);
    worker.child.kill("SIGTERM");
    const result = await worker.collect();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /SIGTERM: stopping/);
    assert.match(result.stdout, /stopped \(2 completed, 0 failed/);
    const runs = JSON.parse((await errand(project, ["runs", "--task", "slow", "--json"])).stdout) as RunJson[];
    assert.deepEqual(runs.map((r) => r.status), ["completed", "completed"]);
  });

  it("trigger --wait follows progress and prints the output", { timeout: 120_000 }, async () => {
    const project = createProject(CONFIG);
    const worker = startWorker(project, []);
    await worker.ready;
    try {
      const r = await errand(project, ["trigger", "steps", "--n", "3", "--wait", "--timeout", "60s"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { parts: 3 });
      assert.match(r.stderr, /completed 100% part 3 of 3/);
    } finally {
      worker.child.kill("SIGTERM");
      assert.equal((await worker.collect()).code, 0);
    }
  });

  it("two worker processes, a per-second schedule for 5 s: one run per fire time", { timeout: 120_000 }, async () => {
    const project = createProject(CONFIG);
    const env = { WITH_SCHEDULE: "1" };
    const a = startWorker(project, [], env);
    const b = startWorker(project, [], env);
    await Promise.all([a.ready, b.ready]);
    await sleep(5000);
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    const [ra, rb] = await Promise.all([a.collect(), b.collect()]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);

    const schedules = JSON.parse((await errand(project, ["schedules", "--json"], env)).stdout) as { id: string; cron: string; source: string }[];
    assert.deepEqual(schedules.map((s) => [s.id, s.cron, s.source]), [["task:tick", "* * * * * *", "declared"]]);
    const listed = await errand(project, ["runs", "--task", "tick", "--limit", "1000", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const runs = (JSON.parse(listed.stdout) as RunJson[]).sort((x, y) => x.payload.scheduledAt.localeCompare(y.payload.scheduledAt));
    assert.ok(runs.length >= 4, `at least 4 fires in 5 s, got ${runs.length}`);
    const keys = runs.map((r) => r.idempotencyKey);
    assert.equal(new Set(keys).size, runs.length, "idempotency keys are unique");
    const times = runs.map((r) => Date.parse(r.payload.scheduledAt));
    assert.equal(new Set(times).size, runs.length, "one run per fire time");
    runs.forEach((r, i) => {
      assert.equal(r.idempotencyKey, `schedule:task:tick:${r.payload.scheduledAt}`);
      assert.equal(r.payload.scheduleId, "task:tick");
      assert.equal(times[i]! % 1000, 0, "fire times are whole seconds");
      if (i > 0) {
        assert.equal(times[i]! - times[i - 1]!, 1000, `fire times are consecutive seconds (${runs[i - 1]!.payload.scheduledAt} -> ${r.payload.scheduledAt})`);
        assert.equal(r.payload.lastScheduledAt, runs[i - 1]!.payload.scheduledAt, "the payload names the previous fire time");
      }
    });
  });

  it("errand dashboard serves the web UI until SIGINT, then exits 0", { timeout: 120_000 }, async () => {
    const project = createProject(CONFIG);
    const d = spawnErrand(project, ["dashboard", "--port", "0"]);
    const url = await until(() => /errand dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.stdout())?.[1], "dashboard url", 60_000, 50);
    const res = await fetch(url!);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<html/i);
    d.child.kill("SIGINT");
    const r = await d.collect();
    assert.equal(r.code, 0, r.stderr);
  });
});
