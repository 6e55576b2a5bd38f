/** The CLI against PostgreSQL: two `errand worker` processes sharing one database and a per-second schedule. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { sleep, until } from "../support/temp.ts";
import { createProject, errand, spawnErrand } from "./project.ts";

after(async () => {
  await stopTestPgServer();
});

const CONFIG = `
import { defineTask } from "errand";
import { postgresStore } from "errand/postgres";

const tick = defineTask({ id: "tick", schedule: "* * * * * *", run: async (p: { scheduledAt: string }) => p.scheduledAt });

export default {
  store: () => postgresStore({ connectionString: process.env.ERRAND_TEST_PG_URL!, maxConnections: 4 }),
  tasks: [tick],
};
`;

describe("errand on PostgreSQL", () => {
  it("two worker processes, a per-second schedule: one run per fire time, and they get run", { timeout: 120_000 }, async () => {
    const env = { ERRAND_TEST_PG_URL: await freshDatabase("errand_cli") };
    const project = createProject(CONFIG);
    const migrate = await errand(project, ["migrate"], env);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /database is up to date: postgres/);
    const workers = [spawnErrand(project, ["worker", "--poll", "200ms"], env), spawnErrand(project, ["worker", "--poll", "200ms"], env)];
    await Promise.all(workers.map((w) => until(() => w.stdout().includes("errand worker: started"), "worker started", 60_000, 50)));
    await sleep(4000);
    for (const w of workers) w.child.kill("SIGTERM");
    const results = await Promise.all(workers.map((w) => w.collect()));
    assert.deepEqual(results.map((r) => r.code), [0, 0], results.map((r) => r.stderr).join("\n"));

    const listed = await errand(project, ["runs", "--limit", "1000", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const runs = (JSON.parse(listed.stdout) as { status: string; idempotencyKey: string; payload: { scheduledAt: string } }[]).sort((a, b) =>
      a.payload.scheduledAt.localeCompare(b.payload.scheduledAt),
    );
    assert.ok(runs.length >= 3, `at least 3 fires in 4 s, got ${runs.length}`);
    assert.equal(new Set(runs.map((r) => r.idempotencyKey)).size, runs.length, "one run per fire time");
    const times = runs.map((r) => Date.parse(r.payload.scheduledAt));
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1000, "consecutive seconds");
    assert.ok(runs.filter((r) => r.status === "completed").length >= runs.length - 1, "the workers ran them (the last may be cut off by the stop)");
  });
});
