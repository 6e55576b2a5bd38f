/**
 * Conformance: `stats()` is exact after every kind of status change. (It must also not count the
 * table: a store keeps counts as it writes, or reads them from small indexes; that cost is measured
 * by the benches, not here.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RUN_STATUSES, type RunRecord, type RunStats, type Store } from "../types.ts";
import { CANCELED, claim, ERR, newRun, step, T0, wait, withStore, withTwo, type ConformanceOptions } from "./harness.ts";

/** Every run, by paging through listRuns. */
async function everyRun(s: Store): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { runs: readonly RunRecord[]; nextCursor: string | null } = await s.listRuns({ limit: 1000, cursor });
    out.push(...page.runs);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** What stats() must say, counted from the runs themselves. */
function truth(runs: readonly RunRecord[]): RunStats {
  const byStatus = Object.fromEntries(RUN_STATUSES.map((x) => [x, 0])) as Record<(typeof RUN_STATUSES)[number], number>;
  const queues = new Map<string, { queue: string; pending: number; running: number }>();
  for (const r of runs) {
    byStatus[r.status]++;
    if (r.status !== "queued" && r.status !== "delayed" && r.status !== "running") continue;
    const q = queues.get(r.queue) ?? { queue: r.queue, pending: 0, running: 0 };
    if (r.status === "running") q.running++;
    else q.pending++;
    queues.set(r.queue, q);
  }
  return { byStatus, queues: [...queues.values()].sort((a, b) => (a.queue < b.queue ? -1 : 1)) };
}

async function assertExact(s: Store, after: string): Promise<void> {
  const st = await s.stats();
  const sortedQueues = [...st.queues].sort((a, b) => (a.queue < b.queue ? -1 : 1));
  assert.deepEqual({ byStatus: st.byStatus, queues: sortedQueues }, truth(await everyRun(s)), `stats after ${after}`);
}

export function statsConformance(o: ConformanceOptions): void {
  describe(`${o.name}: stats are exact`, () => {
    it("after every kind of status change", () =>
      withStore(o, async (s) => {
        const check = (after: string) => assertExact(s, after);
        const [a1, a2, a3, a4, a5, a6] = Array.from({ length: 6 }, () => newRun({ queue: "a", maxAttempts: 2 }));
        const later = newRun({ queue: "b", status: "delayed", runAt: T0 + 1_000_000 });
        const ttl = newRun({ queue: "c", expiresAt: T0 + 5 });
        await s.createRuns({ runs: [a1!, a2!, a3!, a4!, a5!, a6!, later, ttl], now: T0 });
        await s.createRuns({ runs: [newRun({ queue: "a", idempotencyKey: "k" })], now: T0 });
        await s.createRuns({ runs: [newRun({ queue: "a", idempotencyKey: "k" })], now: T0 });
        await check("createRuns (a second run with the same idempotency key is not created)");
        await claim(s, "w", T0 + 10, { queues: ["a"], limit: 6, leaseMs: 1000 });
        await check("a claim, and a ttl expiry in the same transaction");
        await s.completeRuns({ workerId: "w", items: [{ runId: a1!.id, output: "1" }, { runId: "missing", output: "1" }], now: T0 + 11 });
        await s.failRun({ workerId: "w", runId: a2!.id, error: ERR, retryAt: null, now: T0 + 11 });
        await s.failRun({ workerId: "w", runId: a3!.id, error: ERR, retryAt: T0 + 20, now: T0 + 11 });
        await check("complete, fail, retry");
        await s.suspendRun({ workerId: "w", runId: a4!.id, waits: [wait({ key: "e", kind: "event", eventName: "go" })], now: T0 + 12 });
        await s.suspendRun({ workerId: "w", runId: a5!.id, waits: [wait({ key: "z", kind: "sleep", wakeAt: T0 + 30 })], now: T0 + 12 });
        await check("suspend (waiting)");
        await s.sendEvent({ id: "ev", name: "go", payload: "1", now: T0 + 13 });
        await check("an event wakes a run (queued)");
        await s.releaseRuns({ workerId: "w", runIds: [a6!.id], now: T0 + 14 });
        await check("release (queued)");
        await s.saveStep({ workerId: "w", runId: a6!.id, step: step("s"), now: T0 + 14 });
        const again = await claim(s, "w2", T0 + 40, { limit: 10, leaseMs: 1000 });
        assert.ok(again.length >= 4, "retried, woken, released and timed-out runs are claimable");
        await check("claims of delayed, queued and waiting runs (timer due)");
        await claim(s, "w3", T0 + 2000, { limit: 10, leaseMs: 1000 });
        await check("lease takeovers, and lease losses on the last attempt (failed)");
        const parent = newRun({ queue: "p" });
        const kid = newRun({ queue: "p", parentRunId: parent.id });
        const grandkid = newRun({ queue: "p", status: "delayed", runAt: T0 + 1e9, parentRunId: kid.id });
        await s.createRuns({ runs: [parent, kid, grandkid], now: T0 + 3000 });
        await claim(s, "w4", T0 + 3000, { queues: ["p"], limit: 1 });
        await s.cancelRun({ id: parent.id, error: CANCELED, now: T0 + 3001 });
        await check("a cancel cascade over running, queued and delayed runs");
        assert.ok((await s.prune({ finishedBefore: T0 + 100_000, now: T0 + 100_000 })) > 0);
        await check("prune");
      }));

    it("counts changes made on another connection", () =>
      withTwo(o, async (s, other) => {
        await other.createRuns({ runs: [newRun({ queue: "x" }), newRun({ queue: "x" })], now: T0 });
        await claim(other, "w", T0, { limit: 1 });
        await assertExact(s, "another connection's create and claim");
      }));
  });
}
