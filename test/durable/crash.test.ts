/** Issue 4, acceptance 1: a run killed after step 3 resumes elsewhere without re-running steps 1–3. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";
import { fiveStepTask } from "./fixtures/five-steps.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/five-steps.ts", import.meta.url));

describe("crash recovery of a durable run", () => {
  it("SIGKILL after step 3: steps 1–3 are not executed again, 4–5 run, the output is right", { timeout: 60_000 }, async () => {
    const db = tempDb();
    const { task, side } = fiveStepTask(db);
    const engine = createEngine({ store: sqliteStore({ path: db }), tasks: [task] });
    const victim = spawn(process.execPath, ["--import", "tsx", FIXTURE, db], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => victim.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()));
      const h = await engine.trigger(task, { base: 100 });
      await until(async () => (await engine.runs.steps(h.id)).filter((s) => s.status === "completed").length === 3, "3 steps recorded");
      victim.kill("SIGKILL");
      await new Promise((r) => victim.on("exit", r));
      const worker = engine.worker({ leaseMs: 1000, pollIntervalMs: 20 });
      await worker.start();
      const r = await engine.runs.wait(h.id, { timeoutMs: 30_000 });
      assert.ok(r.ok);
      assert.equal(r.output, 100 + 1 + 2 + 3 + 4 + 5);
      const effects = side.prepare("SELECT step, pid FROM effects WHERE run_id = ? ORDER BY step").all(h.id) as { step: number; pid: number }[];
      assert.deepEqual(effects.map((e) => e.step), [1, 2, 3, 4, 5], "each side effect exactly once");
      assert.ok(effects.slice(0, 3).every((e) => e.pid === victim.pid), "1–3 ran in the killed process");
      assert.ok(effects.slice(3).every((e) => e.pid === process.pid), "4–5 ran on the survivor");
      await engine.close();
    } finally {
      victim.kill("SIGKILL");
      side.close();
    }
  });
});
