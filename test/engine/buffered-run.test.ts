/** A buffered run's compact form (src/engine/worker/buffered-run.ts): the claimed run comes back equal, field by field. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BufferedRun } from "../../src/engine/worker/buffered-run.ts";
import { HeldRuns } from "../../src/engine/worker/held-runs.ts";
import { insertedRun } from "../../src/store/records.ts";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import type { ClaimedRun, RunRecord } from "../../src/store/types.ts";

/** A run as a claim returns it: running, leased, started. */
function claimedRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  const r = insertedRun(newRun({ payload: '{"i":1}', priority: 2, maxAttempts: 5 }), T0);
  return { ...r, status: "running", attempt: 2, updatedAt: T0 + 5, startedAt: T0 + 1, workerId: "w1", leaseExpiresAt: T0 + 30_005, ...overrides };
}

describe("buffered run", () => {
  it("a run with the usual values is kept compact and comes back equal, field by field and in the same order", () => {
    const claimed: ClaimedRun = { run: claimedRecord(), steps: [] };
    const compact = BufferedRun.of(claimed);
    assert.ok(compact instanceof BufferedRun);
    const again = compact.claimed(claimed.run.id);
    assert.deepEqual(again, claimed);
    assert.deepEqual(Object.keys(again.run), Object.keys(claimed.run));
  });

  it("a run with steps, or any other field set, is kept as it is", () => {
    const step = { runId: "r", key: "k", parentKey: null, kind: "step", status: "completed", output: "1", error: null, attempts: 1, startedAt: T0, finishedAt: T0, childRunId: null } as const;
    const others: Partial<RunRecord>[] = [
      { concurrencyKey: "k" },
      { output: "1" },
      { error: "{}" },
      { finishedAt: T0 },
      { idempotencyKey: "k" },
      { idempotencyExpiresAt: T0 },
      { expiresAt: T0 },
      { tags: ["t"] },
      { parentRunId: "p" },
      { scheduleId: "s" },
      { progress: 0.5 },
      { progressMessage: "m" },
      { rateLimitedUntil: T0 },
      { traceContext: "{}" },
    ];
    for (const o of others) {
      const c: ClaimedRun = { run: claimedRecord(o), steps: [] };
      assert.equal(BufferedRun.of(c), c, JSON.stringify(o));
    }
    const withSteps: ClaimedRun = { run: claimedRecord(), steps: [step] };
    assert.equal(BufferedRun.of(withSteps), withSteps);
  });

  it("a held run gives its claimed run back whole, the same object each time, until its function returns", () => {
    const held = new HeldRuns(() => {});
    const claimed: ClaimedRun = { run: claimedRecord(), steps: [] };
    const run = held.add(claimed, T0 + 30_000, () => new Error("taken over"));
    const first = run.claimed;
    assert.deepEqual(first, claimed);
    assert.equal(run.claimed, first);
    run.start({ id: run.id, taskId: "task", attempt: 2, tags: [], createdAt: new Date(T0), parentRunId: null }, T0, null);
    assert.equal(run.settled(true), true);
    assert.throws(() => run.claimed, /let go of/);
  });
});
