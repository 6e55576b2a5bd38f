/**
 * Conformance: `createClaimedRun` (a trigger handed straight to an idle worker of the caller's
 * process), for every store that has it. The run it inserts claimed must be indistinguishable from a
 * run inserted and then claimed: its record, fencing, lease takeover, counters, queries. It must
 * never overtake a run the worker's claim would take first, nor a limited queue's rules.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { ClaimedRun, NewRun, RunRecord, Store } from "../types.ts";
import { claim, listen, newRun, T0, withStore, type ConformanceOptions } from "./harness.ts";

const LEASE = 30_000;

/** createClaimedRun for worker `w` with every queue and task (or those given). */
function insertClaimed(
  s: Store,
  run: NewRun,
  now: number,
  more: { workerId?: string; queues?: readonly string[] | null; taskIds?: readonly string[] | null } = {},
): Promise<ClaimedRun | null> {
  return s.createClaimedRun!({ run, workerId: more.workerId ?? "w", queues: more.queues ?? null, taskIds: more.taskIds ?? null, leaseMs: LEASE, now });
}

/** withStore, skipped for a store without createClaimedRun. */
function withClaimedInsert(o: ConformanceOptions, t: TestContext, fn: (s: Store) => Promise<void>): Promise<void> {
  return withStore(o, async (s) => {
    if (s.createClaimedRun === undefined) {
      t.skip(`${o.name} has no createClaimedRun`);
      return;
    }
    await fn(s);
  });
}

/** A listener that has heard a notification (PostgreSQL's LISTEN is set up asynchronously). */
async function warmListener(s: Store): Promise<ReturnType<typeof listen>> {
  const l = listen(s);
  for (let tries = 0; l.count() === 0; tries++) {
    if (tries >= 250) throw new Error("subscribe: no `available` notification within 5 s of createRuns");
    await s.createRuns({ runs: [newRun({ queue: "warm-up" })], now: T0 - 30 });
    await new Promise((r) => setTimeout(r, 20));
  }
  return l;
}

/** A record without its identity (id, payload): what two runs of the same shape share. */
const shape = (r: RunRecord): Omit<RunRecord, "id" | "payload"> => {
  const { id: _id, payload: _payload, ...rest } = r;
  return { ...rest, rateLimitedUntil: rest.rateLimitedUntil ?? null };
};

export function claimedInsertConformance(o: ConformanceOptions): void {
  describe(`${o.name}: createClaimedRun (a trigger handed to a local idle worker)`, () => {
    it("the record is what a trigger and then a claim leave, returned and stored; getRun and listRuns show it running", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const twin = newRun({ taskId: "t", queue: "q", maxAttempts: 4 });
        await s.createRuns({ runs: [twin], now: T0 });
        const [claimedTwin] = await claim(s, "w", T0, { limit: 1 });
        assert.equal(claimedTwin!.run.id, twin.id);
        await s.completeRuns({ workerId: "w", items: [{ runId: twin.id, output: "null" }], now: T0 });

        const run = newRun({ taskId: "t", queue: "q", maxAttempts: 4, payload: '{"x":1}' });
        const got = await insertClaimed(s, run, T0);
        assert.ok(got !== null, "nothing comes before it: inserted claimed");
        assert.deepEqual(got.steps, []);
        assert.equal(got.run.id, run.id);
        assert.equal(got.run.payload, '{"x":1}');
        assert.deepEqual(shape(got.run), shape(claimedTwin!.run));
        assert.equal(got.run.status, "running");
        assert.equal(got.run.attempt, 1);
        assert.equal(got.run.startedAt, T0);
        assert.equal(got.run.workerId, "w");
        assert.equal(got.run.leaseExpiresAt, T0 + LEASE);
        const stored = (await s.getRun({ id: run.id }))!;
        assert.deepEqual(stored, got.run, "stored as returned");
        const listed = await s.listRuns({ status: ["running"] });
        assert.deepEqual(listed.runs.map((r) => r.id), [run.id]);
        assert.deepEqual(await claim(s, "w2", T0 + 1), [], "nobody else can claim it");
      }));

    it("fencing: another worker's completion and heartbeat are refused; its own are taken", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const run = newRun();
        assert.ok((await insertClaimed(s, run, T0)) !== null);
        assert.deepEqual(await s.heartbeat({ workerId: "other", runIds: [run.id], leaseMs: LEASE, now: T0 + 1 }), []);
        assert.deepEqual(await s.completeRuns({ workerId: "other", items: [{ runId: run.id, output: "1" }], now: T0 + 1 }), []);
        assert.equal(await s.failRun({ workerId: "other", runId: run.id, error: '{"name":"Error","message":"x"}', retryAt: null, now: T0 + 1 }), false);
        assert.equal((await s.getRun({ id: run.id }))!.status, "running");
        assert.deepEqual(await s.heartbeat({ workerId: "w", runIds: [run.id], leaseMs: LEASE, now: T0 + 2 }), [run.id]);
        assert.deepEqual(await s.completeRuns({ workerId: "w", items: [{ runId: run.id, output: "2" }], now: T0 + 3 }), [run.id]);
        const done = (await s.getRun({ id: run.id }))!;
        assert.equal(done.status, "completed");
        assert.equal(done.output, "2");
      }));

    it("its lease is taken over once expired (a new attempt), and the first worker is fenced out", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const run = newRun();
        assert.ok((await insertClaimed(s, run, T0)) !== null);
        assert.deepEqual(await claim(s, "w2", T0 + LEASE - 1), [], "not before the lease expires");
        const taken = await claim(s, "w2", T0 + LEASE);
        assert.deepEqual(taken.map((c) => [c.run.id, c.run.attempt, c.run.workerId, c.run.startedAt]), [[run.id, 2, "w2", T0]]);
        assert.deepEqual(await s.completeRuns({ workerId: "w", items: [{ runId: run.id, output: "1" }], now: T0 + LEASE + 1 }), []);
      }));

    it("stats count it running, then finished", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const run = newRun({ queue: "q" });
        assert.ok((await insertClaimed(s, run, T0)) !== null);
        let st = await s.stats();
        assert.equal(st.byStatus.running, 1);
        assert.equal(st.byStatus.queued, 0);
        assert.deepEqual(st.queues, [{ queue: "q", pending: 0, running: 1 }]);
        await s.completeRuns({ workerId: "w", items: [{ runId: run.id, output: "null" }], now: T0 + 5 });
        st = await s.stats();
        assert.equal(st.byStatus.running, 0);
        assert.equal(st.byStatus.completed, 1);
      }));

    // That a run inserted claimed notifies nobody is checked by the engine's tests (an idle worker
    // that heard a notification would claim): notifications carry no identity to count them by here.
    it("a due run the worker's claim would take first is never overtaken: the run is inserted queued and notified", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const heard = await warmListener(s); // its warm-up runs are in queue "warm-up", which the worker below does not serve
        const only = { queues: ["default"] };
        try {
          assert.ok((await insertClaimed(s, newRun(), T0 - 20, only)) !== null);
          const older = newRun({ runAt: T0 - 10 });
          await s.createRuns({ runs: [older], now: T0 - 10 });
          const run = newRun();
          const next = heard.next("the queued insert");
          assert.equal(await insertClaimed(s, run, T0, only), null);
          await next;
          const stored = (await s.getRun({ id: run.id }))!;
          assert.equal(stored.status, "queued");
          assert.equal(stored.workerId, null);
          assert.equal(stored.startedAt, null);
          assert.deepEqual((await claim(s, "w", T0, { ...only, limit: 1 })).map((c) => c.run.id), [older.id], "claim order as ever");
          assert.deepEqual((await claim(s, "w", T0, only)).map((c) => c.run.id), [run.id]);
        } finally {
          heard.off();
        }
      }));

    it("so is a higher priority run, a due delayed or waiting run, and an expired lease (a takeover)", (t) =>
      withClaimedInsert(o, t, async (s) => {
        const high = newRun({ priority: 5, runAt: T0 });
        await s.createRuns({ runs: [high], now: T0 });
        assert.equal(await insertClaimed(s, newRun(), T0), null, "a higher priority ready run");
        await claim(s, "crashed", T0, { leaseMs: 1000 }); // both runs, leased until T0 + 1000
        assert.equal(await insertClaimed(s, newRun(), T0 + 1000), null, "an expired lease");
        await claim(s, "w2", T0 + 1000); // taken over
        const delayed = newRun({ status: "delayed", runAt: T0 + 2000 });
        await s.createRuns({ runs: [delayed], now: T0 + 1000 });
        assert.ok((await insertClaimed(s, newRun(), T0 + 1999)) !== null, "a delayed run not yet due is not before it");
        assert.equal(await insertClaimed(s, newRun(), T0 + 2000), null, "once due, it is");
      }));

    it("runs the worker would not claim do not hold it back: other tasks, other queues, a lower priority, a limited queue", (t) =>
      withClaimedInsert(o, t, async (s) => {
        await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 1 }] });
        const others = [newRun({ taskId: "other" }), newRun({ queue: "elsewhere" }), newRun({ queue: "lim", priority: 9 })];
        await s.createRuns({ runs: others, now: T0 - 5 });
        const low = newRun({ priority: -1, runAt: T0 - 5 });
        await s.createRuns({ runs: [low], now: T0 - 5 });
        const run = newRun();
        const got = await insertClaimed(s, run, T0, { queues: ["default", "lim"], taskIds: ["task"] });
        assert.ok(got !== null);
        assert.deepEqual((await claim(s, "w", T0, { queues: ["default", "lim"], taskIds: ["task"] })).map((c) => c.run.id).sort(), [low.id, others[2]!.id].sort());
      }));

    it("a run of a queue with a concurrency or rate limit is inserted queued (the limit is the claim's to keep)", (t) =>
      withClaimedInsert(o, t, async (s) => {
        await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 3 }, { name: "rate", concurrencyLimit: null, rateLimit: { limit: 5, periodMs: 1000, perKey: false } }] });
        for (const queue of ["lim", "rate"]) {
          const run = newRun({ queue });
          assert.equal(await insertClaimed(s, run, T0), null, queue);
          assert.equal((await s.getRun({ id: run.id }))!.status, "queued");
        }
        assert.equal((await claim(s, "w", T0)).length, 2);
      }));
  });
}
