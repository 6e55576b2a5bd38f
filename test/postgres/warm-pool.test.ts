/**
 * The store's own pool keeps a few connections open past pg's idle timeout (src/postgres/open.ts,
 * WARM_CONNECTIONS), so a trigger after a quiet spell does not open a connection on its path; and
 * those idle connections do not keep a process alive that never closed its store.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { postgresStore } from "errand/postgres";
import { newRun } from "../../src/store/conformance/harness.ts";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

const NO_CLOSE = fileURLToPath(new URL("./fixtures/trigger-no-close.ts", import.meta.url));
/** node-postgres closes a pooled connection idle this long (its default `idleTimeoutMillis`). */
const PG_IDLE_TIMEOUT_MS = 10_000;

describe("postgres store: warm connections", () => {
  it("keeps its trigger connections open past the pool's idle timeout", async () => {
    const url = await freshDatabase();
    const store = postgresStore({ connectionString: url, schema: uniqueSchema(), maxConnections: 10 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const sessions = async () => Number((await admin.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).rows[0].sessions);
    try {
      await store.migrate();
      await Promise.all(Array.from({ length: 6 }, () => store.createRuns({ runs: [newRun()], now: Date.now() })));
      await sleep(PG_IDLE_TIMEOUT_MS + 1500);
      const before = await sessions();
      await Promise.all(Array.from({ length: 6 }, () => store.createRuns({ runs: [newRun()], now: Date.now() })));
      assert.equal((await sessions()) - before, 0, "the triggers after a quiet spell opened no connection");
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("lets a process that never closed its store end", async () => {
    const url = await freshDatabase();
    // Without allowExitOnIdle the kept connections would hold it open forever: stopped after a minute.
    const child = spawn(process.execPath, ["--import", "tsx", NO_CLOSE, url, uniqueSchema()], { stdio: ["ignore", "pipe", "inherit"], timeout: 60_000 });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null, "the process did not end on its own");
    assert.equal(code, 0);
    assert.match(out, /triggered/);
  });
});
