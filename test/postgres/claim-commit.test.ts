/**
 * The claim commits without waiting for its WAL flush (docs/ARCHITECTURE.md, "The claim's commit").
 *
 * A server crash is forced at the moment that matters: the WAL writer is paused (SIGSTOP), so an
 * asynchronous commit stays in the server's WAL buffers, then killed (SIGKILL), which makes
 * PostgreSQL end every process and recover from the WAL it had written. A claim lost this way must
 * leave the run claimable again and its first holder fenced out (heartbeat, step and completion
 * rejected); a claim followed by a synchronous commit of its holder (a step) must survive, with
 * the step. With a synchronous claim the first test fails (the run would still be running). A claim
 * from a concurrency-limited queue stays synchronous and survives the crash.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import type { NewStep, Store } from "../../src/store/types.ts";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { startRestartablePg, stopTestPgServer, uniqueSchema, type RestartablePg } from "../support/pg.ts";
import { until } from "../support/temp.ts";

after(async () => {
  await stopTestPgServer();
});

const LEASE_MS = 600_000;

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {}); // the crash ends this connection
  await c.connect();
  return c;
}

async function one<T>(url: string, sql: string, values: unknown[] = []): Promise<T> {
  const c = await client(url);
  try {
    return (await c.query(sql, values)).rows[0] as T;
  } finally {
    await c.end().catch(() => {});
  }
}

/** A store call after the crash: a connection the crash ended may fail it once or twice. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (error) {
      if (tries >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function step(key: string): NewStep {
  return { key, parentKey: null, kind: "step", status: "completed", output: "1", error: null, attempts: 1, startedAt: T0 + 2, finishedAt: T0 + 3, childRunId: null };
}

interface Setup {
  readonly server: RestartablePg;
  readonly schema: string;
  readonly a: Store;
  readonly b: Store;
  readonly runId: string;
}

async function setup(): Promise<Setup> {
  const server = await startRestartablePg();
  // No autovacuum: its ANALYZE of the new tables commits (and so flushes the WAL) whenever it comes,
  // which would make a paused WAL writer's buffers durable behind the test's back.
  await one(server.url, "ALTER SYSTEM SET autovacuum = off");
  await one(server.url, "SELECT pg_reload_conf()");
  const schema = uniqueSchema("cc");
  const a = postgresStore({ connectionString: server.url, schema });
  const b = postgresStore({ connectionString: server.url, schema });
  await a.migrate();
  await b.migrate();
  const run = newRun();
  await a.createRuns({ runs: [run], now: T0 });
  return { server, schema, a, b, runId: run.id };
}

interface PausedWalWriter {
  /** The WAL insert position when it was paused. */
  readonly before: string;
  /** Kills it: the server crashes and recovers. */
  crash(): Promise<void>;
  /** Lets it run again if it was not killed (a failed test must not leave a stopped server behind). */
  resume(): void;
}

/** Pauses the WAL writer of the server at `url`. */
async function pauseWalWriter(url: string): Promise<PausedWalWriter> {
  const { pid } = await one<{ pid: number }>(url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'");
  process.kill(pid, "SIGSTOP");
  let killed = false;
  const { lsn } = await one<{ lsn: string }>(url, "SELECT pg_current_wal_insert_lsn()::text AS lsn");
  return {
    before: lsn,
    resume() {
      if (!killed) process.kill(pid, "SIGCONT");
    },
    async crash() {
      killed = true;
      process.kill(pid, "SIGKILL");
      // PostgreSQL ends every backend, then recovers from the WAL on disk and accepts connections again.
      await until(
        async () => {
          try {
            const { walwriter } = await one<{ walwriter: number }>(url, "SELECT pid AS walwriter FROM pg_stat_activity WHERE backend_type = 'walwriter'");
            return walwriter !== pid;
          } catch {
            return false;
          }
        },
        "the server back after its crash",
        60_000,
        100,
      );
    },
  };
}

async function stored(url: string, schema: string, id: string): Promise<{ status: string; worker_id: string | null } | undefined> {
  return one(url, `SELECT status, worker_id FROM "${schema}".runs WHERE id = $1`, [id]);
}

/**
 * Runs `body` on a fresh {@link setup}; `pause` pauses the server's WAL writer. Afterwards, pass or
 * fail, a paused writer runs again (a failed test must not leave a stopped server), both stores close
 * and the server is destroyed.
 */
async function crashCase(body: (s: Setup, pause: () => Promise<PausedWalWriter>) => Promise<void>): Promise<void> {
  const s = await setup();
  const paused: PausedWalWriter[] = [];
  try {
    await body(s, async () => {
      const wal = await pauseWalWriter(s.server.url);
      paused.push(wal);
      return wal;
    });
  } finally {
    for (const wal of paused) wal.resume();
    await s.a.close().catch(() => {});
    await s.b.close().catch(() => {});
    await s.server.destroy();
  }
}

describe("PostgreSQL: the claim's asynchronous commit", () => {
  it("a claim lost in a server crash leaves the run claimable, and its first holder is fenced out", { timeout: 120_000 }, async () =>
    crashCase(async (s, pause) => {
      const wal = await pause();
      const claimed = await s.a.claimRuns({ workerId: "A", queues: null, limit: 1, leaseMs: LEASE_MS, now: T0 + 1 });
      assert.deepEqual(claimed.map((c) => c.run.id), [s.runId]);
      assert.equal((await stored(s.server.url, s.schema, s.runId))?.worker_id, "A", "the claim is committed (visible)");
      const w = await one<{ unwritten: boolean; inserted: boolean }>(s.server.url, "SELECT pg_current_wal_lsn() <= $1::pg_lsn AS unwritten, pg_current_wal_insert_lsn() > $1::pg_lsn AS inserted", [wal.before]);
      assert.deepEqual(w, { unwritten: true, inserted: true }, "the claim's commit record is in WAL buffers only: the claim did not wait for a flush");
      await wal.crash();

      assert.deepEqual(await stored(s.server.url, s.schema, s.runId), { status: "queued", worker_id: null }, "the claim was lost with the crash");
      const now = T0 + 10;
      assert.deepEqual(await retrying(() => s.a.heartbeat({ workerId: "A", runIds: [s.runId], leaseMs: LEASE_MS, now })), [], "the old holder's heartbeat loses the run");
      assert.equal(await retrying(() => s.a.saveStep({ workerId: "A", runId: s.runId, step: step("s1"), now })), false, "the old holder's step is rejected");
      const again = await retrying(() => s.b.claimRuns({ workerId: "B", queues: null, limit: 1, leaseMs: LEASE_MS, now }));
      assert.deepEqual(again.map((c) => c.run.id), [s.runId], "claimable again at once, without waiting for a lease");
      assert.deepEqual(again[0]!.steps, []);
      assert.deepEqual(await retrying(() => s.a.completeRuns({ workerId: "A", items: [{ runId: s.runId, output: "1" }], now: now + 1 })), [], "the old holder's completion is rejected");
      assert.deepEqual(await retrying(() => s.b.completeRuns({ workerId: "B", items: [{ runId: s.runId, output: "2" }], now: now + 1 })), [s.runId]);
      const run = await s.b.getRun({ id: s.runId });
      assert.equal(run?.status, "completed");
      assert.equal(run?.output, "2");
    }));

  it("a synchronous commit of the holder after its claim (a step) makes the claim durable with it", { timeout: 120_000 }, async () =>
    crashCase(async (s, pause) => {
      const wal = await pause();
      const claimed = await s.a.claimRuns({ workerId: "A", queues: null, limit: 1, leaseMs: LEASE_MS, now: T0 + 1 });
      assert.deepEqual(claimed.map((c) => c.run.id), [s.runId]);
      assert.equal(await s.a.saveStep({ workerId: "A", runId: s.runId, step: step("s1"), now: T0 + 3 }), true);
      await wal.crash();

      assert.deepEqual(await stored(s.server.url, s.schema, s.runId), { status: "running", worker_id: "A" }, "the claim survived: the step's flush carried it");
      const now = T0 + 10;
      assert.deepEqual(await retrying(() => s.b.claimRuns({ workerId: "B", queues: null, limit: 1, leaseMs: LEASE_MS, now })), [], "nobody else can claim it");
      assert.deepEqual(await retrying(() => s.a.heartbeat({ workerId: "A", runIds: [s.runId], leaseMs: LEASE_MS, now })), [s.runId]);
      assert.deepEqual(await retrying(() => s.a.completeRuns({ workerId: "A", items: [{ runId: s.runId, output: "1" }], now: now + 1 })), [s.runId]);
      const steps = await s.a.getSteps({ runId: s.runId });
      assert.deepEqual(steps.map((x) => x.key), ["s1"]);
    }));

  it("a claim from a concurrency-limited queue stays synchronous: it survives the same crash", { timeout: 120_000 }, async () =>
    crashCase(async (s, pause) => {
      await s.a.upsertQueues({ queues: [{ name: "limited", concurrencyLimit: 1 }] });
      const run = newRun({ queue: "limited" });
      await s.a.createRuns({ runs: [run], now: T0 });
      const wal = await pause();
      const claimed = await s.a.claimRuns({ workerId: "A", queues: ["limited"], limit: 1, leaseMs: LEASE_MS, now: T0 + 1 });
      assert.deepEqual(claimed.map((c) => c.run.id), [run.id]);
      await wal.crash();
      assert.deepEqual(await stored(s.server.url, s.schema, run.id), { status: "running", worker_id: "A" }, "the limited claim was flushed before it returned");
      const now = T0 + 10;
      assert.deepEqual(await retrying(() => s.b.claimRuns({ workerId: "B", queues: ["limited"], limit: 1, leaseMs: LEASE_MS, now })), []);
      assert.deepEqual(await retrying(() => s.a.completeRuns({ workerId: "A", items: [{ runId: run.id, output: "1" }], now: now + 1 })), [run.id]);
    }));

  it("the claim's session setting never reaches the other users of a pool the caller passed", { timeout: 60_000 }, async () => {
    const server = await startRestartablePg();
    const pool = new pg.Pool({ connectionString: server.url, max: 6 });
    pool.on("error", () => {}); // idle connections ended by the server's stop
    try {
      const store = postgresStore({ pool, schema: uniqueSchema("cs") });
      await store.migrate();
      await store.createRuns({ runs: [newRun()], now: T0 });
      assert.equal((await store.claimRuns({ workerId: "A", queues: null, limit: 1, leaseMs: LEASE_MS, now: T0 + 1 })).length, 1);
      await store.close();
      const held = await Promise.all(Array.from({ length: 6 }, () => pool.connect()));
      const settings = await Promise.all(held.map(async (c) => (await c.query("SHOW synchronous_commit")).rows[0].synchronous_commit as string));
      for (const c of held) c.release();
      assert.deepEqual(settings, Array(6).fill("on"));
    } finally {
      await pool.end();
      await server.destroy();
    }
  });
});
