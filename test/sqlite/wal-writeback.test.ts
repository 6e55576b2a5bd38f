/**
 * The store starts a background sync of its WAL every EVERY_COMMITS commits (src/sqlite/wal-writeback.ts):
 * with `synchronous = NORMAL` on a file it holds the WAL open for that after the first round of
 * commits, and lets it go when closed; with FULL (every commit syncs) it never opens it. Linux only
 * (the open descriptors are read from /proc/self/fd).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { EVERY_COMMITS } from "../../src/sqlite/wal-writeback.ts";
import { sleep, tempDb } from "../support/temp.ts";

const linux = existsSync("/proc/self/fd");

/** How many descriptors of this process are open on `file` (also once it is deleted). */
function opened(file: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target === file || target === `${file} (deleted)`) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function commits(synchronous: "NORMAL" | "FULL"): Promise<{ before: number; during: number; after: number; count: number }> {
  const path = tempDb();
  const store = sqliteStore({ path, synchronous });
  await store.migrate();
  const wal = `${path}-wal`;
  await store.createRuns({ runs: [newRun()], now: T0 });
  const before = opened(wal);
  for (let i = 0; i < EVERY_COMMITS + 5; i++) await store.createRuns({ runs: [newRun()], now: T0 });
  const during = opened(wal);
  await sleep(50); // the sync's callback
  const count = (await store.stats()).byStatus.queued;
  await store.close();
  await sleep(50); // the descriptor is closed asynchronously
  return { before, during, after: opened(wal), count };
}

describe("sqlite WAL writeback", { skip: !linux && "needs /proc/self/fd" }, () => {
  it("NORMAL: holds the WAL open for background syncs after a round of commits, releases it on close", async () => {
    const r = await commits("NORMAL");
    assert.equal(r.count, EVERY_COMMITS + 6, "every run is there");
    assert.equal(r.during - r.before, 1, "one more descriptor on the WAL once a round of commits is done");
    assert.equal(r.after, 0, "none after close");
  });

  it("FULL: leaves the WAL alone (every commit syncs it already)", async () => {
    const r = await commits("FULL");
    assert.equal(r.count, EVERY_COMMITS + 6);
    assert.equal(r.during, r.before);
  });
});
