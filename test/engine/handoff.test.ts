/**
 * The handoff on both stores (src/engine/local-handoff.ts, src/engine/worker/handoff.ts): a single
 * trigger is inserted already claimed by an idle worker of the same engine and started from the
 * returned record: no claim, the same events, the same outcome; never past an older due run; not
 * to a stopping worker; and a failed insert gives its slot back.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import { createEngine, defineTask, type AnyTask, type Engine, type Worker, type WorkerOptions } from "../../src/engine/index.ts";
import type { ClaimedRun, Store } from "../../src/store/types.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";

const dirs: string[] = [];
after(async () => {
  await stopTestPgServer();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A store kind: `open()` makes a fresh database and returns a way to open stores on it. */
interface Kind {
  readonly name: string;
  /** The store tells its listeners once it listens (PostgreSQL's LISTEN is set up asynchronously). */
  readonly saysWhenListening: boolean;
  open(): Promise<() => Store>;
}

const kinds: Kind[] = [
  {
    name: "PostgreSQL",
    saysWhenListening: true,
    async open() {
      const url = await freshDatabase("errand_handoff");
      return () => postgresStore({ connectionString: url });
    },
  },
  {
    name: "SQLite",
    saysWhenListening: false,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "errand-handoff-"));
      dirs.push(dir);
      const path = join(dir, "store.db");
      return () => sqliteStore({ path });
    },
  },
];

/** The store with its claims and handovers counted (and a handover made to fail on demand). */
function counted(store: Store) {
  const c = {
    claims: 0,
    lastClaim: Promise.resolve() as Promise<unknown>,
    handed: [] as (ClaimedRun | null)[],
    asked: 0,
    failNext: null as Error | null,
    /** `available` notifications heard (the first says LISTEN holds: the store says it on connecting). */
    heard: 0,
    store: null as unknown as Store,
  };
  store.subscribe(() => c.heard++);
  c.store = {
    ...store,
    claimRuns(p) {
      c.claims++;
      const claim = store.claimRuns(p);
      c.lastClaim = claim.catch(() => {});
      return claim;
    },
    async createClaimedRun(p) {
      c.asked++;
      if (c.failNext !== null) {
        const error = c.failNext;
        c.failNext = null;
        throw error;
      }
      const got = await store.createClaimedRun!(p);
      c.handed.push(got);
      return got;
    },
  };
  return c;
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * Once LISTEN holds (the store's first `available`, which makes the worker claim once), triggers
 * until one is handed over: from then on the worker is idle between runs, and nothing but the test's
 * own triggers (and a poll a minute away) makes it claim.
 */
async function untilHandedOver(c: ReturnType<typeof counted>, engine: Engine, kind: Kind): Promise<void> {
  while (kind.saysWhenListening && c.heard === 0) await new Promise((r) => setTimeout(r, 10));
  do {
    await engine.runs.wait((await engine.trigger(echo, { n: 0 })).id, { timeoutMs: 30_000 });
    await turns();
  } while (c.handed.length === 0 || c.handed.at(-1) === null);
}

const echo = defineTask({ id: "echo", run: (p: { n: number }) => p.n });

/**
 * An engine on a fresh database of `kind` (its store counted) with one worker (concurrency 1 unless
 * `worker` says otherwise, no poll for a minute), started, that has taken a handed-over run: from then
 * on it is idle between the test's triggers. `watch` sees the worker before it starts.
 */
async function idleWorker(kind: Kind, o: { tasks?: AnyTask[]; worker?: WorkerOptions; watch?: (w: Worker) => void } = {}) {
  const c = counted((await kind.open())());
  const engine = createEngine({ store: c.store, tasks: o.tasks ?? [echo] });
  try {
    const w = engine.worker({ concurrency: 1, pollIntervalMs: 60_000, ...o.worker });
    o.watch?.(w);
    await w.start();
    await untilHandedOver(c, engine, kind);
    return { c, engine, w };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

for (const kind of kinds) {
  describe(`engine on ${kind.name}: a trigger handed to an idle local worker`, () => {
    it("starts without a claim, with the usual events and records", { timeout: 120_000 }, async () => {
      const started: string[] = [];
      const completed: string[] = [];
      const { c, engine } = await idleWorker(kind, {
        worker: { concurrency: 2 },
        watch: (w) => {
          w.on("run:started", (e) => started.push(e.run.id));
          w.on("run:completed", (e) => completed.push(e.run.id));
        },
      });
      try {
        const claims = c.claims;
        const asked = c.asked;
        const ids: string[] = [];
        for (let i = 1; i <= 20; i++) {
          const h = await engine.trigger(echo, { n: i });
          ids.push(h.id);
          assert.equal((await engine.runs.wait<number>(h.id, { timeoutMs: 30_000 })).unwrap(), i);
          await turns();
        }
        assert.equal(c.asked - asked, 20, "every trigger was offered to the idle worker");
        assert.ok(c.handed.slice(-20).every((x) => x !== null), "and inserted claimed");
        assert.equal(c.claims, claims, "no claim: neither to start them nor after they completed");
        for (const id of ids) {
          assert.ok(started.includes(id) && completed.includes(id), "run:started and run:completed as for a claimed run");
          const run = (await engine.runs.get(id))!;
          assert.equal(run.status, "completed");
          assert.equal(run.attempt, 1);
        }
        const stats = await c.store.stats();
        assert.equal(stats.byStatus.running, 0);
        assert.equal(stats.byStatus.queued, 0);
      } finally {
        await engine.close();
      }
    });

    it("never overtakes an older due run: that one starts first", { timeout: 120_000 }, async () => {
      const open = await kind.open();
      let now = 1_800_000_000_000;
      const clock = () => now;
      const c = counted(open());
      const a = createEngine({ store: c.store, tasks: [echo], clock });
      const b = createEngine({ store: open(), tasks: [echo], clock });
      try {
        const w = a.worker({ concurrency: 1, pollIntervalMs: 60_000 });
        const startedIds: string[] = [];
        w.on("run:started", (e) => startedIds.push(e.run.id));
        await w.start();
        await untilHandedOver(c, a, kind);
        startedIds.length = 0;
        const claims = c.claims;
        const early = await b.trigger(echo, { n: 1 }, { delayMs: 1000 }); // another process's delayed run
        // Its notification made the worker claim (nothing due yet); wait until that claim is over.
        while (c.claims === claims) await turns(1);
        await c.lastClaim;
        await turns();
        now += 1000; // the delayed run is due; nothing tells the worker
        const asked = c.asked;
        const late = await a.trigger(echo, { n: 2 });
        assert.equal(c.asked, asked + 1, "offered to the idle worker");
        assert.equal(c.handed.at(-1), null, "the store inserted it queued: an older run is due");
        assert.equal((await a.runs.wait<number>(late.id, { timeoutMs: 30_000 })).unwrap(), 2);
        assert.equal((await a.runs.get(early.id))!.status, "completed");
        assert.deepEqual(startedIds, [early.id, late.id], "the older due run started first");
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("a stopping worker takes no run; a run whose insert is in flight when stop begins goes back to the queue", { timeout: 120_000 }, async () => {
      const { c, engine, w } = await idleWorker(kind);
      try {
        const asked = c.asked;
        const inFlight = engine.trigger(echo, { n: 1 });
        assert.equal(c.asked, asked + 1, "handed over");
        const stopping = w.stop();
        const during = engine.trigger(echo, { n: 2 });
        assert.equal(c.asked, asked + 1, "a stopping worker reserves nothing");
        const [h1, h2] = await Promise.all([inFlight, during]);
        await stopping;
        for (const h of [h1, h2]) {
          const run = (await engine.runs.get(h.id))!;
          assert.equal(run.status, "queued", "not lost: back in the queue, never started");
          assert.equal(run.attempt, 1);
        }
        const w2 = engine.worker({ concurrency: 1 });
        await w2.start();
        assert.equal((await engine.runs.wait<number>(h1.id, { timeoutMs: 30_000 })).unwrap(), 1);
        assert.equal((await engine.runs.wait<number>(h2.id, { timeoutMs: 30_000 })).unwrap(), 2);
      } finally {
        await engine.close();
      }
    });

    it("a handed-over run is canceled, heartbeated and reports progress as a claimed one", { timeout: 120_000 }, async () => {
      let began!: () => void;
      const running = new Promise<void>((resolve) => (began = resolve));
      const waiter = defineTask({
        id: "waiter",
        run: async (_: null, ctx) => {
          ctx.progress(0.5, "half");
          began();
          await new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
        },
      });
      const progress: number[] = [];
      const canceled: string[] = [];
      const { c, engine, w } = await idleWorker(kind, {
        tasks: [echo, waiter],
        worker: { leaseMs: 300 },
        watch: (w) => {
          w.on("run:progress", (e) => progress.push(e.progress));
          w.on("run:canceled", (e) => canceled.push(e.run.id));
        },
      });
      try {
        const asked = c.asked;
        const h = await engine.trigger(waiter, null);
        assert.equal(c.asked, asked + 1);
        assert.ok(c.handed.at(-1) !== null, "handed over");
        await running;
        // Its heartbeats renew its lease, over several lease periods.
        const leased = (await c.store.getRun({ id: h.id }))!;
        let later = leased;
        while (later.leaseExpiresAt! < leased.leaseExpiresAt! + 900) {
          await new Promise((r) => setTimeout(r, 50));
          later = (await c.store.getRun({ id: h.id }))!;
        }
        assert.equal(later.status, "running");
        assert.equal(later.workerId, w.id);
        assert.equal(later.attempt, 1, "never taken over");
        await engine.runs.cancel(h.id);
        while (canceled.length === 0) await turns(1);
        assert.deepEqual(canceled, [h.id]);
        assert.deepEqual(progress, [0.5]);
        assert.equal((await engine.runs.get(h.id))!.status, "canceled");
      } finally {
        await engine.close();
      }
    });

    it("a failed insert rejects the trigger and gives the slot back", { timeout: 120_000 }, async () => {
      const { c, engine } = await idleWorker(kind);
      try {
        const boom = new Error("insert refused");
        c.failNext = boom;
        await assert.rejects(engine.trigger(echo, { n: 1 }), (e) => e === boom);
        await turns();
        const asked = c.asked;
        const h = await engine.trigger(echo, { n: 2 });
        assert.equal(c.asked, asked + 1, "the slot was free again");
        assert.equal((await engine.runs.wait<number>(h.id, { timeoutMs: 30_000 })).unwrap(), 2);
        const payloads = (await engine.runs.list({})).runs.map((r) => JSON.stringify(r.payload));
        assert.ok(!payloads.includes('{"n":1}'), "the refused trigger left no run");
      } finally {
        await engine.close();
      }
    });
  });
}
