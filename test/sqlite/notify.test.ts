/** SQLite notifications: shared by stores on the same file in this process, private for :memory:. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import type { Store, StoreNotification } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { tempDb } from "../support/temp.ts";

function record(s: Store): { heard: StoreNotification[]; off: () => void } {
  const heard: StoreNotification[] = [];
  return { heard, off: s.subscribe((n) => heard.push(n)) };
}

describe("sqlite notifications", () => {
  it("a store hears runs created through another store on the same file (same process)", async () => {
    const path = tempDb();
    const writer = sqliteStore({ path });
    const reader = sqliteStore({ path });
    await writer.migrate();
    const r = record(reader);
    await writer.createRuns({ runs: [newRun(), newRun(), newRun()], now: T0 });
    assert.deepEqual(r.heard.map((n) => n.kind), ["available"], "one notification per createRuns call");
    await writer.createRuns({ runs: [newRun({ idempotencyKey: "k" })], now: T0 });
    r.off();
    await writer.createRuns({ runs: [newRun()], now: T0 });
    assert.equal(r.heard.length, 2, "nothing after unsubscribing");
    await writer.close();
    const w2 = sqliteStore({ path });
    const r2 = record(w2);
    await reader.createRuns({ runs: [newRun()], now: T0 });
    assert.equal(r2.heard.length, 1, "closing one store does not cut the others off");
    await reader.close();
    await w2.close();
  });

  it(":memory: stores do not hear each other", async () => {
    const a = sqliteStore({ path: ":memory:" });
    const b = sqliteStore({ path: ":memory:" });
    await a.migrate();
    const ra = record(a);
    const rb = record(b);
    await a.createRuns({ runs: [newRun()], now: T0 });
    assert.equal(ra.heard.length, 1);
    assert.equal(rb.heard.length, 0);
    await a.close();
    await b.close();
  });

  it("a listener that throws does not break the call or the other listeners", async () => {
    const store = sqliteStore({ path: ":memory:" });
    await store.migrate();
    store.subscribe(() => {
      throw new Error("listener bug");
    });
    const r = record(store);
    const [created] = await store.createRuns({ runs: [newRun()], now: T0 });
    assert.equal(created!.created, true);
    assert.equal(r.heard.length, 1);
    await store.close();
  });
});
