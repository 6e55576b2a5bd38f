/**
 * A single plain trigger has three ways into `runs` (src/sqlite/tx.ts): the short statement for a
 * run as a trigger without options makes it (constants in the SQL, nine values bound instead of nineteen), the full
 * statement for any other plain run, and the counted insert (the tail full, or an id before the
 * marker). Each must write the row the others would: this compares every column of runs inserted
 * each way with the same values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { sqliteStore } from "errand/sqlite";
import type { NewRun } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { MAX_TAIL } from "../../src/sqlite/conn.ts";
import { tempDb } from "../support/temp.ts";

interface Row {
  readonly id: string;
  readonly payload: string;
  readonly status: string;
  readonly max_attempts: number;
  readonly tags: string;
  readonly priority: number;
  readonly concurrency_key: string | null;
  readonly [column: string]: unknown;
}

function rows(path: string): Map<string, Row> {
  const db = new Database(path, { readonly: true });
  try {
    return new Map((db.prepare("SELECT * FROM runs").all() as Row[]).map((r) => [r.id, r]));
  } finally {
    db.close();
  }
}

/** A row without what differs by design between the runs compared: id and payload. */
const shape = (r: Row | undefined): Record<string, unknown> => {
  assert.ok(r !== undefined, "the run is in the table");
  const { id: _id, payload: _payload, ...rest } = r;
  return rest;
};

describe("sqlite single trigger: the short insert writes the full insert's row", () => {
  it("default run, same row as a batch insert and as a counted insert", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const plain = (over: Partial<NewRun> = {}) => newRun({ taskId: "t", queue: "q", payload: '{"a":1}', runAt: T0, maxAttempts: 5, ...over });
    const single = plain();
    await store.createRuns({ runs: [single], now: T0 });
    // Two at once go through the multi-row statement with every value bound.
    const pair = [plain(), plain()];
    await store.createRuns({ runs: pair, now: T0 });
    // Fill the tail so that the next single trigger is inserted by the counted path.
    for (let i = 0; i < MAX_TAIL; i++) await store.createRuns({ runs: [plain()], now: T0 });
    const counted = plain();
    await store.createRuns({ runs: [counted], now: T0 });
    await store.close();

    const all = rows(path);
    const expected = shape(all.get(pair[0]!.id));
    assert.equal(expected["status"], "queued");
    assert.equal(expected["max_attempts"], 5);
    assert.equal(expected["tags"], "[]");
    assert.deepEqual(shape(all.get(single.id)), expected, "the short statement's row");
    assert.deepEqual(shape(all.get(counted.id)), expected, "the counted insert's row");
    assert.equal(all.get(single.id)!.payload, '{"a":1}');
  });

  it("a plain run with other values (priority, delay, concurrency key, parent, trace) keeps them", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const over: Partial<NewRun> = {
      priority: 7,
      runAt: T0 + 5_000,
      status: "delayed",
      concurrencyKey: "k",
      parentRunId: "p",
      scheduleId: "s",
      expiresAt: T0 + 60_000,
      traceContext: '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
    };
    const single = newRun(over);
    const pair = [newRun(over), newRun(over)];
    await store.createRuns({ runs: [single], now: T0 });
    await store.createRuns({ runs: pair, now: T0 });
    await store.close();
    const all = rows(path);
    const expected = shape(all.get(pair[0]!.id));
    assert.equal(expected["priority"], 7);
    assert.equal(expected["concurrency_key"], "k");
    assert.deepEqual(shape(all.get(single.id)), expected);
  });
});
