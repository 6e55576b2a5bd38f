/**
 * Another process holding the SQLite write lock must not freeze this process: calls locked out wait
 * from the event loop (timers keep firing) and go through once the lock is released; a worker
 * resumes and finishes every run. A call still locked out after `busyTimeoutMs` fails with a clear
 * `SqliteBusyError`, and nothing of it is written.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine, defineTask } from "errand";
import { sqliteStore, SqliteBusyError } from "errand/sqlite";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { tempDb } from "../support/temp.ts";

const HOLD_MS = 3000;

/** Starts a process that holds the write lock for `ms`; resolves once it has the lock. */
async function holdLock(path: string, ms: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/hold-lock.ts", import.meta.url)), path, String(ms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("locked")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`hold-lock exited ${code} before taking the lock`)));
  });
  return child;
}

/** The longest pause of the event loop while `fn` runs (a 10 ms interval timer). */
async function longestPause<T>(fn: () => Promise<T>): Promise<{ result: T; pauseMs: number }> {
  let last = Date.now();
  let pauseMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    pauseMs = Math.max(pauseMs, now - last);
    last = now;
  }, 10);
  try {
    const result = await fn();
    return { result, pauseMs: Math.max(pauseMs, Date.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

describe("sqlite: another process holds the write lock", () => {
  it("a write waits without freezing the event loop and goes through when the lock is released", async () => {
    const path = tempDb();
    const store = sqliteStore({ path });
    await store.migrate();
    const child = await holdLock(path, HOLD_MS);
    const exited = once(child, "exit");
    const started = Date.now();
    const run = newRun();
    const { pauseMs } = await longestPause(() => store.createRuns({ runs: [run], now: T0 }));
    assert.ok(Date.now() - started >= HOLD_MS - 500, "the write waited for the lock");
    // Before the fix SQLite's busy handler blocked the loop for the whole hold (3 s).
    assert.ok(pauseMs < HOLD_MS / 2, `the event loop paused ${pauseMs} ms while the lock was held`);
    assert.equal((await store.getRun({ id: run.id }))?.status, "queued");
    await exited;
    await store.close();
  });

  it("a worker keeps its event loop and finishes every run once the lock is released", async () => {
    const path = tempDb();
    const noop = defineTask({ id: "noop", run: async (_p: { i: number }) => "ok" });
    const engine = createEngine({ store: sqliteStore({ path }), tasks: [noop] });
    await engine.store.migrate();
    const handles = await engine.batchTrigger(noop, Array.from({ length: 200 }, (_, i) => ({ i })));
    const worker = engine.worker({ concurrency: 8, pollIntervalMs: 50 });
    const child = await holdLock(path, HOLD_MS);
    const exited = once(child, "exit");
    try {
      const { pauseMs } = await longestPause(async () => {
        await worker.start();
        for (const h of handles) assert.equal((await engine.runs.wait(h.id, { timeoutMs: 60_000 })).ok, true);
      });
      assert.ok(pauseMs < HOLD_MS / 2, `the event loop paused ${pauseMs} ms while the lock was held`);
    } finally {
      await worker.stop();
      await exited;
      await engine.close();
    }
  });

  it("a call locked out for longer than busyTimeoutMs fails with SqliteBusyError and writes nothing", async () => {
    const path = tempDb();
    const store = sqliteStore({ path, busyTimeoutMs: 300 });
    await store.migrate();
    const child = await holdLock(path, 1500);
    const exited = once(child, "exit");
    const run = newRun();
    await assert.rejects(store.createRuns({ runs: [run], now: T0 }), (e: unknown) => e instanceof SqliteBusyError && /busyTimeoutMs/.test(e.message));
    await exited;
    assert.equal(await store.getRun({ id: run.id }), null);
    await store.close();
  });
});
