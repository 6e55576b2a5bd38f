/**
 * The public surface (issue 11, item 6): what `errand/store` and `errand/dashboard` export, the narrow
 * `engine.store`, and `runs.metrics` in Dates. The store-author API is exercised as a third party
 * would use it: the conformance suite, imported from `errand/store`, run against a store.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask } from "errand";
import * as dashboardEntry from "errand/dashboard";
import { sqliteStore } from "errand/sqlite";
import * as storeEntry from "errand/store";
import { runStoreConformance, type Store } from "errand/store";
import { tempDb } from "./support/temp.ts";

describe("public surface", () => {
  it("errand/store is the store-author API: contract constants, matching rules, the conformance suite; no engine internals", () => {
    assert.deepEqual(Object.keys(storeEntry).sort(), [
      "FINISHED_STATUSES", "NEVER", "RUN_STATUSES", "StoreConnectionError", "childResultJson", "matchesJson", "matchesSubset", "runStoreConformance",
    ]);
  });

  it("errand/dashboard exports the handler, the Node adapter and the server only", () => {
    assert.deepEqual(Object.keys(dashboardEntry).sort(), ["createDashboard", "serveDashboard", "toNodeHandler"]);
  });

  it("engine.store shows the store's name and migrate, not its run operations", async () => {
    const store = sqliteStore({ path: tempDb() });
    const engine = createEngine({ store, tasks: [] });
    assert.deepEqual(Object.keys(engine.store).sort(), ["migrate", "name"]);
    assert.equal(engine.store.name, store.name);
    assert.equal((engine.store as unknown as Record<string, unknown>)["claimRuns"], undefined);
    await engine.store.migrate();
    await engine.close();
  });

  it("runs.metrics gives each bucket's start as a Date, like every other view", async () => {
    const t = defineTask({ id: "t", run: async () => 1 });
    const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [t] });
    const worker = engine.worker({ pollIntervalMs: 10 });
    await worker.start();
    const since = new Date(Date.now() - 60_000);
    await engine.runs.wait(await engine.trigger(t, undefined), { timeoutMs: 10_000 });
    const buckets = await engine.runs.metrics({ since, bucketMs: 60_000 });
    assert.ok(buckets.length >= 1);
    for (const b of buckets) assert.ok(b.at instanceof Date && b.at.getTime() >= since.getTime() - 60_000, String(b.at));
    assert.equal(buckets.reduce((n, b) => n + b.completed, 0), 1);
    await worker.stop();
    await engine.close();
  });
});

// A store author's test file: the whole suite from the public entry, here against in-memory SQLite.
runStoreConformance({
  name: "errand/store entry (sqlite :memory:)",
  async open() {
    const store: Store = sqliteStore({ path: ":memory:" });
    return { store, cleanup: () => store.close() };
  },
});
