/** engine.execute runs one task in-process and leaves cron schedules alone. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { createEngine, defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb } from "../support/temp.ts";

it("engine.execute neither registers nor fires declared schedules", async () => {
  const ticks: string[] = [];
  const cron = defineTask({ id: "every-second", schedule: "* * * * * *", run: async () => void ticks.push("tick") });
  const once = defineTask({ id: "once", run: async (p: { n: number }) => p.n + 1 });
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [cron, once] });
  const r = await engine.execute(once, { n: 1 });
  assert.ok(r.ok && r.output === 2);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.deepEqual(await engine.schedules.list(), [], "no schedule stored");
  assert.deepEqual(ticks, []);
  assert.deepEqual((await engine.runs.list()).runs.map((x) => x.taskId), ["once"]);
  await engine.close();
});
