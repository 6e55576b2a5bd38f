/**
 * Plain triggers of the PostgreSQL store (src/postgres/trigger-queue.ts): a few statements in flight,
 * the triggers that arrive meanwhile combined into one statement, each trigger resolved with its own
 * outcome. First the queue alone (its statements recorded), then the store on a real server.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import type { NewRun } from "../../src/store/types.ts";
import { TriggerQueue, MAX_COMBINED_RUNS } from "../../src/postgres/trigger-queue.ts";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

interface Sent {
  readonly runs: readonly NewRun[];
  readonly nows: readonly number[];
  resolve(): void;
  reject(error: unknown): void;
}

/** A queue whose statements wait until the test settles them. */
function recorded(limit: number) {
  const sent: Sent[] = [];
  const queue = new TriggerQueue(
    (runs, nows) =>
      new Promise<void>((resolve, reject) => {
        sent.push({ runs, nows, resolve, reject });
      }),
    limit,
  );
  return { queue, sent };
}

const tick = () => new Promise((r) => setImmediate(r));

function outcomes(promises: Promise<void>[]): { settled: (string | null)[] } {
  const state = { settled: promises.map(() => null as string | null) };
  promises.forEach((p, i) => p.then(() => (state.settled[i] = "ok"), (e: Error) => (state.settled[i] = e.message)));
  return state;
}

describe("postgres trigger queue", () => {
  it("keeps at most `limit` statements in flight and sends what waited together, each run with its own time", async () => {
    const { queue, sent } = recorded(2);
    const runs = Array.from({ length: 6 }, (_, i) => newRun({ id: `r${i}` }));
    const done = outcomes(runs.map((run, i) => queue.add([run], T0 + i)));
    await tick();
    assert.equal(sent.length, 2);
    assert.deepEqual(sent.map((s) => s.runs.map((x) => x.id)), [["r0"], ["r1"]]);
    sent[0]!.resolve();
    await tick();
    // r2…r5 waited: one statement, in arrival order, with the time each trigger was called.
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[2]!.runs.map((x) => x.id), ["r2", "r3", "r4", "r5"]);
    assert.deepEqual(sent[2]!.nows, [T0 + 2, T0 + 3, T0 + 4, T0 + 5]);
    assert.deepEqual(done.settled, ["ok", null, null, null, null, null]);
    sent[2]!.resolve();
    await tick();
    assert.deepEqual(done.settled, ["ok", null, "ok", "ok", "ok", "ok"]);
    const drained = queue.drained();
    let isDrained = false;
    void drained.then(() => (isDrained = true));
    await tick();
    assert.equal(isDrained, false, "a statement is still in flight");
    sent[1]!.resolve();
    await drained;
    assert.deepEqual(done.settled, ["ok", "ok", "ok", "ok", "ok", "ok"]);
  });

  it("never splits a trigger and caps a combined statement at MAX_COMBINED_RUNS runs", async () => {
    const { queue, sent } = recorded(1);
    const first = queue.add([newRun()], T0);
    const big = Array.from({ length: MAX_COMBINED_RUNS - 10 }, () => newRun());
    const rest = [queue.add(big, T0), queue.add(Array.from({ length: 20 }, () => newRun()), T0), queue.add([newRun()], T0)];
    await tick();
    sent[0]!.resolve();
    await first;
    await tick();
    assert.equal(sent[1]!.runs.length, MAX_COMBINED_RUNS - 10, "the next trigger would pass the cap: it waits for the next statement");
    sent[1]!.resolve();
    await tick();
    assert.equal(sent[2]!.runs.length, 21);
    sent[2]!.resolve();
    await Promise.all(rest);
  });

  it("sends the triggers of a rejected combined statement again one by one: only the bad one fails", async () => {
    const { queue, sent } = recorded(1);
    const first = queue.add([newRun({ id: "a" })], T0);
    const done = outcomes(["b", "bad", "c"].map((id) => queue.add([newRun({ id })], T0)));
    await tick();
    sent[0]!.resolve();
    await first;
    await tick();
    assert.deepEqual(sent[1]!.runs.map((x) => x.id), ["b", "bad", "c"]);
    sent[1]!.reject(Object.assign(new Error("duplicate key"), { code: "23505" }));
    for (const id of ["b", "bad", "c"]) {
      await tick();
      const s = sent.at(-1)!;
      assert.deepEqual(s.runs.map((x) => x.id), [id]);
      if (id === "bad") s.reject(Object.assign(new Error("duplicate key"), { code: "23505" }));
      else s.resolve();
    }
    await tick();
    assert.deepEqual(done.settled, ["ok", "duplicate key", "ok"]);
  });

  it("does not send again after a connection error (the outcome is unknown): every trigger of it gets the error", async () => {
    const { queue, sent } = recorded(1);
    const first = queue.add([newRun()], T0);
    const done = outcomes([queue.add([newRun()], T0), queue.add([newRun()], T0)]);
    await tick();
    sent[0]!.resolve();
    await first;
    await tick();
    sent[1]!.reject(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    await tick();
    await tick();
    assert.equal(sent.length, 2);
    assert.deepEqual(done.settled, ["read ECONNRESET", "read ECONNRESET"]);
  });

  it("tryAlone sends a statement of its own only in a free place, and it counts as one in flight", async () => {
    const { queue, sent } = recorded(2);
    let release!: () => void;
    const own = queue.tryAlone(() => new Promise<void>((resolve) => (release = resolve)));
    assert.ok(own !== null, "a place was free");
    const first = queue.add([newRun({ id: "a" })], T0);
    assert.equal(sent.length, 1, "the second place");
    assert.equal(queue.tryAlone(() => Promise.resolve()), null, "both places taken: nothing sent");
    const waiting = queue.add([newRun({ id: "b" })], T0);
    release();
    await own;
    await tick();
    assert.equal(sent.length, 2, "the freed place went to the waiting trigger");
    assert.equal(queue.tryAlone(() => Promise.resolve()), null, "none free again");
    sent[0]!.resolve();
    sent[1]!.resolve();
    await Promise.all([first, waiting]);
    const alone = queue.tryAlone(() => Promise.resolve("x"));
    assert.equal(await alone, "x");
    await queue.drained();
  });
});

describe("postgres store: plain triggers on a real server", () => {
  it("stores 300 concurrent triggers with their own times on a handful of connections", async () => {
    const url = await freshDatabase();
    const schema = uniqueSchema();
    const store = postgresStore({ connectionString: url, schema, maxConnections: 25 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await store.migrate();
      const sessions = async () => Number((await admin.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).rows[0].sessions);
      const before = await sessions();
      const runs = Array.from({ length: 300 }, () => newRun());
      await Promise.all(runs.map((run, i) => store.createRuns({ runs: [run], now: T0 + i })));
      const stored = await admin.query(`SELECT id, created_at, updated_at FROM "${schema}".runs`);
      assert.equal(stored.rows.length, 300);
      const at = new Map(stored.rows.map((x) => [x.id as string, Number(x.created_at)]));
      runs.forEach((run, i) => assert.equal(at.get(run.id), T0 + i, `run ${i} keeps its own time`));
      // Without the queue each waiting trigger took a connection of its own: the pool grew to 25.
      const opened = (await sessions()) - before;
      assert.ok(opened <= 3, `${opened} connections opened for 300 concurrent triggers`);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("rejects only the trigger the server refused when it was combined with others", async () => {
    const url = await freshDatabase();
    const store = postgresStore({ connectionString: url, schema: uniqueSchema() });
    try {
      await store.migrate();
      const taken = newRun();
      await store.createRuns({ runs: [taken], now: T0 });
      const runs = Array.from({ length: 40 }, () => newRun());
      runs[25] = { ...runs[25]!, id: taken.id }; // a duplicate id: the server refuses it
      const results = await Promise.allSettled(runs.map((run) => store.createRuns({ runs: [run], now: T0 })));
      const failed = results.flatMap((x, i) => (x.status === "rejected" ? [i] : []));
      assert.deepEqual(failed, [25]);
      for (const [i, run] of runs.entries()) {
        if (i === 25) continue;
        assert.equal((await store.getRun({ id: run.id }))?.status, "queued");
      }
    } finally {
      await store.close();
    }
  });

  it("stores every column of a run alike alone (one-row statement) and combined (unnest)", async () => {
    const url = await freshDatabase();
    const store = postgresStore({ connectionString: url, schema: uniqueSchema() });
    try {
      await store.migrate();
      const odd = (id: string): NewRun =>
        newRun({
          id,
          queue: "q1",
          concurrencyKey: "k",
          payload: '{"a":"x\\"y"}',
          priority: 3,
          runAt: T0 + 5000,
          status: "delayed",
          maxAttempts: 7,
          expiresAt: T0 + 9000,
          tags: ["a", 'b"c', "d\\e", "x,y", "{z}", "NULL"],
          traceContext: "00-abc-def-01",
        });
      await store.createRuns({ runs: [odd("alone")], now: T0 });
      // Three at once: the first two go alone, the third waits and is combined with the fourth.
      const ids = ["c1", "c2", "c3", "c4"];
      await Promise.all(ids.map((id) => store.createRuns({ runs: [odd(id)], now: T0 })));
      const alone = await store.getRun({ id: "alone" });
      assert.ok(alone !== null);
      for (const id of ids) {
        const run = await store.getRun({ id });
        assert.deepEqual({ ...run, id: "alone" }, alone, `run ${id}`);
      }
      assert.deepEqual(alone.tags, ["a", 'b"c', "d\\e", "x,y", "{z}", "NULL"]);
      assert.equal(alone.traceContext, "00-abc-def-01");
      assert.equal(alone.payload, '{"a":"x\\"y"}');
      assert.equal(alone.createdAt, T0);
    } finally {
      await store.close();
    }
  });
});
