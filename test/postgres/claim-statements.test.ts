/**
 * The PostgreSQL claim statements built once per worker shape (src/postgres/claim-statements.ts): the
 * same statement while nothing it depends on changed, a new one as soon as the limited queues, the
 * worker's queues or its tasks differ, and its columns read from the result it was given.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClaimStatements } from "../../src/postgres/claim-statements.ts";
import type { PgNamedQuery } from "../../src/postgres/driver.ts";

const named = (name: string, sql: string): PgNamedQuery => ({ name: `errand_${name}_s`, text: sql.replaceAll(":S.", '"s".') });

describe("postgres claim statements", () => {
  it("gives the same statement for the same worker and limits, without building it again", () => {
    let built = 0;
    const statements = new ClaimStatements((name, sql) => {
      built++;
      return named(name, sql);
    });
    const queues = ["a", "b"];
    const tasks = ["t1"];
    const limits = {};
    const first = statements.get(1024, queues, tasks, limits, []);
    assert.equal(statements.get(1024, queues, tasks, limits, []), first);
    assert.equal(built, 1);
    assert.equal(first.query.rowMode, "array");
    assert.match(first.query.text, /queue IN \('a', 'b'\)/);
    assert.match(first.query.text, /task_id IN \('t1'\)/);
    // The same filter read again (new limits object, same names): the statement is reused, not rebuilt.
    assert.equal(statements.get(1024, queues, tasks, {}, []), first);
    assert.equal(built, 1);
  });

  it("leaves out a queue as soon as the limits read say it is limited", () => {
    const statements = new ClaimStatements(named);
    const all = statements.get(1024, null, null, {}, []);
    assert.doesNotMatch(all.query.text, /NOT IN/);
    const limited = statements.get(1024, null, null, {}, ["slow"]);
    assert.notEqual(limited, all);
    assert.notEqual(limited.query.name, all.query.name);
    assert.match(limited.query.text, /queue NOT IN \('slow'\)/);
    assert.equal(limited.query.text.includes(":S."), false);
  });

  it("tells apart workers with other queues, tasks or a larger cap", () => {
    const statements = new ClaimStatements(named);
    const limits = {};
    const a = statements.get(1024, ["a"], null, limits, []);
    const b = statements.get(1024, ["b"], null, limits, []);
    const t = statements.get(1024, ["a"], ["x"], limits, []);
    const big = statements.get(2048, ["a"], null, limits, []);
    assert.equal(new Set([a, b, t, big].map((s) => s.query.name)).size, 4);
    assert.match(big.query.text, /LIMIT 2048/);
    // Back to the first worker: its statement again, not a new one.
    assert.equal(statements.get(1024, ["a"], null, limits, []), a);
  });

  it("finds columns by name in the result's fields, and reads rows as runs", () => {
    const statement = new ClaimStatements(named).get(1024, null, null, {}, []);
    const names = [
      "id", "task_id", "queue", "concurrency_key", "status", "payload", "output", "error", "priority", "run_at", "created_at", "updated_at",
      "started_at", "finished_at", "attempt", "max_attempts", "idempotency_key", "idempotency_expires_at", "expires_at", "tags", "parent_run_id",
      "schedule_id", "worker_id", "lease_expires_at", "progress", "progress_message", "history", "due",
    ];
    const fields = names.map((name) => ({ name }));
    assert.equal(statement.column(fields, "due"), names.indexOf("due"));
    assert.equal(statement.column(fields, "history"), names.indexOf("history"));
    assert.equal(statement.column(fields, "no_such_column"), -1);
    const row = names.map((n) => (n === "id" ? "run_1" : n === "tags" ? [] : n.endsWith("_at") || n === "priority" || n.includes("attempt") ? "5" : null));
    const run = statement.reader(fields)(row);
    assert.equal(run.id, "run_1");
    assert.equal(run.runAt, 5);
    assert.throws(() => statement.reader(fields.filter((f) => f.name !== "worker_id"))(row), /nothing known/);
    // The claim's own rows: no status, worker, lease, update or finish time; the claimer supplies them.
    const known = new Set(["status", "worker_id", "lease_expires_at", "updated_at", "finished_at"]);
    const claimFields = fields.filter((f) => !known.has(f.name));
    const claimRow = row.filter((_, i) => !known.has(names[i]!));
    const claimed = statement.reader(claimFields)(claimRow, { status: "running", workerId: "w9", leaseExpiresAt: 77, updatedAt: 66 });
    assert.deepEqual([claimed.id, claimed.status, claimed.workerId, claimed.leaseExpiresAt, claimed.updatedAt, claimed.finishedAt, claimed.runAt], ["run_1", "running", "w9", 77, 66, null, 5]);
    // Fewer columns (another server version answered): the positions are learned again.
    const shorter = fields.filter((f) => f.name !== "history");
    assert.equal(statement.column(shorter, "due"), shorter.length - 1);
  });
});
