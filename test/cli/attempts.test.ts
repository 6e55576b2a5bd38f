/**
 * How the CLI and the dashboard show attempts: a run that failed with attempts left (its error was
 * final) shows `1 (not retried)`, not `attempt 1/3`; a run that used up its attempts shows `3/3`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, NonRetriableError } from "errand";
import { sqliteStore } from "errand/sqlite";
import { createDashboard } from "errand/dashboard";
import { runDetail, runsTable } from "../../src/cli/format-run.ts";
import { createOut } from "../../src/cli/output.ts";
import { tempDb } from "../support/temp.ts";

const out = createOut(Object.assign(Object.create(process.stdout), { isTTY: false }) as NodeJS.WriteStream);

describe("attempts shown for failed runs", () => {
  it("NonRetriableError and skipRetrying: `1 (not retried)`; attempts used up: `3/3`", { timeout: 30_000 }, async () => {
    const fatal = defineTask({ id: "fatal", retry: { maxAttempts: 3 }, run: () => { throw new NonRetriableError("card declined"); } });
    const skipped = defineTask({
      id: "skipped",
      retry: { maxAttempts: 3 },
      run: () => { throw new Error("no point"); },
      catchError: () => ({ skipRetrying: true }),
    });
    const flaky = defineTask({ id: "flaky", retry: { maxAttempts: 3, minDelayMs: 1, randomize: false }, run: () => { throw new Error("again"); } });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [fatal, skipped, flaky] });
    const worker = engine.worker({ pollIntervalMs: 10, concurrency: 3 });
    await worker.start();
    try {
      const ids: Record<string, string> = {};
      for (const t of [fatal, skipped, flaky]) {
        const h = await engine.trigger(t, undefined);
        await engine.runs.wait(h, { timeoutMs: 15_000 });
        ids[t.id] = h.id;
      }
      const view = async (id: string) => (await engine.runs.get(id))!;
      const [f, s, r] = [await view(ids["fatal"]!), await view(ids["skipped"]!), await view(ids["flaky"]!)];
      assert.deepEqual([f.status, s.status, r.status], ["failed", "failed", "failed"]);

      const table = runsTable([f, s, r], out).split("\n");
      assert.match(table.find((l) => l.includes(f.id))!, /\bfailed\s+1 \(not retried\)\s/);
      assert.match(table.find((l) => l.includes(s.id))!, /\bfailed\s+1 \(not retried\)\s/);
      assert.match(table.find((l) => l.includes(r.id))!, /\bfailed\s+3\/3\s/);
      assert.match(runDetail(f, [], [], out), /^attempt\s+1 \(not retried\)$/m);
      assert.match(runDetail(r, [], [], out), /^attempt\s+3\/3$/m);

      const dashboard = createDashboard({ engine });
      const page = async (path: string) => (await dashboard.fetch(new Request(`http://127.0.0.1${path}`))).text();
      assert.ok((await page(`/runs/${f.id}`)).includes("<dd>1 (not retried)</dd>"));
      assert.ok((await page(`/runs/${r.id}`)).includes("<dd>3 of 3</dd>"));
      const list = await page("/runs?status=failed");
      assert.ok(list.includes('<td class="num">1 (not retried)</td>') && list.includes('<td class="num">3/3</td>'));
    } finally {
      await worker.stop();
      await engine.close();
    }
  });
});
