/**
 * The hot and listing queries use indexes: no full table scans, no sort of every matching row
 * (which would make claims or newest-first pages slow with a million runs). Checked with
 * EXPLAIN QUERY PLAN on the very statements the store runs (captured with better-sqlite3 `verbose`),
 * on a store without ANALYZE statistics, as in production.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "errand/store";
import { newRun, step, T0, wait } from "../../src/store/conformance/harness.ts";

interface Captured {
  readonly db: Database.Database;
  readonly store: Store;
  /** Runs `fn` and returns the SQL statements it executed. */
  capture(fn: () => Promise<unknown>): Promise<string[]>;
}

async function open(): Promise<Captured> {
  let sink: Set<string> | null = null;
  const db = new Database(":memory:", { verbose: (m) => sink?.add(String(m)) });
  const store = sqliteStore({ database: db });
  await store.migrate();
  return {
    db,
    store,
    async capture(fn) {
      sink = new Set();
      await fn();
      const out = [...sink];
      sink = null;
      return out;
    },
  };
}

/** Plan problems of one statement: full scans of a table, or sorting a table's rows for ORDER BY. */
function planProblems(db: Database.Database, expanded: string): string[] {
  if (/^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)/i.test(expanded)) return [];
  // `verbose` shortens long string literals as '…'/*+N bytes*/: the values do not matter for a plan.
  const text = expanded.replace(/'((?:[^']|'')*)'\/\*\+\d+ bytes\*\//g, "'$1'");
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${text}`).all() as { detail: string }[];
  const problems: string[] = [];
  let lastTable = ""; // the last table (or subquery) the plan read, skipping json_each id lists
  let lastIndex = "";
  for (const { detail } of rows) {
    // `runs` is a WITHOUT ROWID table keyed by id: a bare SCAN of it walks the ids in order, which a
    // newest-first page ending in `ORDER BY id DESC LIMIT` stops after one page of.
    const pageById = /^SCAN runs$/.test(detail) && /ORDER BY (runs\.)?id DESC LIMIT/.test(text);
    if (/^SCAN (runs|steps|waits|logs|events|run_tags|run_events|tokens)\b(?!.*USING)/.test(detail) && !pageById) problems.push(detail);
    const read = /^(?:SCAN|SEARCH) (\S+)/.exec(detail);
    if (read !== null && read[1] !== "json_each") {
      lastTable = read[1]!;
      lastIndex = /USING (?:COVERING )?INDEX (\S+)/.exec(detail)?.[1] ?? "";
    }
    // Sorting runs means reading every match first. (Sorting one run's steps or logs, a merge of
    // LIMITed subqueries, the running runs — a set bounded by the workers' concurrency — or the queued
    // runs from the claim index, which listRuns does only when the exact counts say they are few, is fine.)
    if (/TEMP B-TREE FOR ORDER BY/.test(detail) && /^(runs|run_tags|t)$/.test(lastTable) && lastIndex !== "runs_running" && lastIndex !== "runs_claim") {
      problems.push(`sorts ${lastTable}`);
    }
  }
  return problems.map((p) => `${p}   in: ${text.replace(/\s+/g, " ").slice(0, 160)}`);
}

async function assertIndexed(c: Captured, what: string, fn: () => Promise<unknown>): Promise<void> {
  const statements = await c.capture(fn);
  assert.ok(statements.length > 0, `${what}: no statement captured`);
  const problems = statements.flatMap((s) => planProblems(c.db, s));
  assert.deepEqual(problems, [], `${what} reads too much`);
}

describe("sqlite query plans", () => {
  it("claims, heartbeats, completions, waits and events use indexes", async () => {
    const c = await open();
    const s = c.store;
    await s.upsertQueues({ queues: [{ name: "lim", concurrencyLimit: 5 }] });
    const runs = Array.from({ length: 3000 }, (_, i) =>
      newRun({ queue: i % 3 === 0 ? "lim" : "default", concurrencyKey: i % 6 === 0 ? `k${i % 12}` : null, expiresAt: i % 5 ? null : T0 + 1e9 }),
    );
    await s.createRuns({ runs, now: T0 });
    const claimed = await s.claimRuns({ workerId: "w", queues: null, limit: 50, leaseMs: 1000, now: T0 });
    const ids = claimed.map((x) => x.run.id);
    await assertIndexed(c, "claimRuns (every queue)", () => s.claimRuns({ workerId: "w", queues: null, limit: 20, leaseMs: 1000, now: T0 + 1 }));
    await assertIndexed(c, "claimRuns (some queues)", () => s.claimRuns({ workerId: "w", queues: ["lim", "default"], limit: 20, leaseMs: 1000, now: T0 + 1 }));
    await assertIndexed(c, "claimRuns (lease takeover)", () => s.claimRuns({ workerId: "w2", queues: null, limit: 5, leaseMs: 1000, now: T0 + 5000 }));
    await assertIndexed(c, "heartbeat", () => s.heartbeat({ workerId: "w", runIds: ids, leaseMs: 1000, now: T0 + 5000 }));
    const handOff = (queues: string[] | null, taskIds: string[] | null) =>
      s.createClaimedRun!({ run: newRun({ priority: 1 }), workerId: "w4", queues, taskIds, leaseMs: 1000, now: T0 + 5000 });
    await assertIndexed(c, "createClaimedRun (every queue)", () => handOff(null, null));
    await assertIndexed(c, "createClaimedRun (some queues and tasks)", () => handOff(["default"], ["t"]));
    await assertIndexed(c, "createRuns with an idempotency key", () => s.createRuns({ runs: [newRun({ idempotencyKey: "k" })], now: T0 }));
    const [a, b, kid] = (await s.claimRuns({ workerId: "w3", queues: ["default"], limit: 3, leaseMs: 60_000, now: T0 + 6000 })).map((x) => x.run.id);
    await assertIndexed(c, "suspendRun", () =>
      s.suspendRun({ workerId: "w3", runId: a!, waits: [wait({ key: "e", kind: "event", eventName: "go", match: '{"x":1}' }), wait({ key: "k", kind: "child", childRunId: kid! })], now: T0 + 6000 }),
    );
    await assertIndexed(c, "sendEvent", () => s.sendEvent({ id: "e1", name: "go", payload: '{"x":1}', now: T0 + 6001 }));
    await assertIndexed(c, "completeRuns (resolving a parent's wait)", () => s.completeRuns({ workerId: "w3", items: [{ runId: kid!, output: "1" }], now: T0 + 6002 }));
    await assertIndexed(c, "failRun", () => s.failRun({ workerId: "w3", runId: b!, error: "{}", retryAt: T0 + 9000, now: T0 + 6003 }));
    await assertIndexed(c, "getRun, getSteps, getLogs", async () => {
      await s.getRun({ id: a! });
      await s.getSteps({ runId: a! });
      await s.getLogs({ runId: a! });
    });
    await assertIndexed(c, "cancelRun", () => s.cancelRun({ id: a!, error: "{}", now: T0 + 7000 }));
    await s.close();
    c.db.close();
  });

  it("newest-first pages read an index in order for every filter", async () => {
    const c = await open();
    const s = c.store;
    const runs = Array.from({ length: 3000 }, (_, i) =>
      newRun({ taskId: `t${i % 7}`, queue: `q${i % 3}`, tags: i % 4 ? ["a"] : ["a", "b"], parentRunId: i % 9 ? null : "parent" }),
    );
    await s.createRuns({ runs, now: T0 });
    await s.claimRuns({ workerId: "w", queues: null, limit: 500, leaseMs: 1000, now: T0 });
    const cursor = (await s.listRuns({ limit: 10 })).nextCursor;
    const filters = [
      {},
      { status: ["running"] as const },
      { status: ["running", "queued", "failed"] as const },
      { taskId: "t1" },
      { tag: "b" },
      { parentRunId: "parent" },
      { idPrefix: runs[5]!.id.slice(0, 10) },
      { taskId: "t2", status: ["queued"] as const },
      { tag: "a", status: ["queued", "running"] as const },
    ];
    for (const f of filters) {
      await assertIndexed(c, `listRuns ${JSON.stringify(f)}`, async () => {
        await s.listRuns({ ...f, limit: 20 });
        await s.listRuns({ ...f, limit: 20, cursor });
      });
    }
    await s.close();
    c.db.close();
  });

  it("events that start runs and waitpoint tokens use indexes", async () => {
    const c = await open();
    const s = c.store;
    await s.createRuns({ runs: Array.from({ length: 2000 }, () => newRun()), now: T0 });
    for (let i = 0; i < 300; i++) {
      await s.emitEvent({ id: `e${i}`, name: `ev${i % 7}`, payload: "{}", idempotencyKey: `k${i}`, runs: [newRun({ queue: "listeners" })], now: T0 });
    }
    await assertIndexed(c, "emitEvent (new key)", () => s.emitEvent({ id: "e-new", name: "ev1", payload: "{}", idempotencyKey: "new", runs: [newRun()], now: T0 + 1 }));
    await assertIndexed(c, "emitEvent (repeated key)", () => s.emitEvent({ id: "e-again", name: "ev1", payload: "{}", idempotencyKey: "k1", runs: [newRun()], now: T0 + 1 }));
    const [held] = (await s.claimRuns({ workerId: "w", queues: ["default"], limit: 1, leaseMs: 60_000, now: T0 + 2 })).map((x) => x.run.id);
    await assertIndexed(c, "getRunEvents", () => s.getRunEvents({ runIds: [held!, "x", "y"] }));
    const token = { id: "wpt_x", key: "t", createdAt: T0, timeoutAt: T0 + 100 };
    await assertIndexed(c, "createToken", () => s.createToken({ workerId: "w", runId: held!, token, step: step("t", { kind: "token" }), now: T0 + 2 }));
    await assertIndexed(c, "suspendRun on a token", () =>
      s.suspendRun({ workerId: "w", runId: held!, waits: [wait({ key: "t/wait", parentKey: "t", kind: "token" })], now: T0 + 3 }),
    );
    await assertIndexed(c, "completeToken", () => s.completeToken({ id: "wpt_x", output: "1", now: T0 + 4 }));
    await assertIndexed(c, "getToken, listTokens", async () => {
      await s.getToken({ id: "wpt_x" });
      await s.listTokens({ runId: held! });
    });
    await s.close();
    c.db.close();
  });
});
