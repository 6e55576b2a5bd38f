/**
 * Control flow by error class, never by message: a step's timeout, a value JSON cannot carry, and
 * lease loss each arrive as their exported class.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, LeaseLostError, StepTimeoutError, UnstorableValueError, type AnyTask } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";

async function start(tasks: AnyTask[], path = tempDb(), leaseMs?: number) {
  const engine = createEngine({ store: sqliteStore({ path }), tasks });
  await engine.worker({ pollIntervalMs: 10, concurrency: 2, ...(leaseMs === undefined ? {} : { leaseMs }) }).start();
  return engine;
}

describe("typed errors", () => {
  it("a step timeout is a StepTimeoutError: the reason of s.signal and the error the step throws", { timeout: 20_000 }, async () => {
    const seen: string[] = [];
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) => {
        try {
          await ctx.step("slow", (s) => new Promise((_r, reject) => s.signal.addEventListener("abort", () => {
            seen.push(`reason ${s.signal.reason instanceof StepTimeoutError}`);
            reject(s.signal.reason);
          })), { timeoutMs: 30 });
        } catch (error) {
          seen.push(`thrown ${error instanceof StepTimeoutError}`);
          throw error;
        }
      },
    });
    const engine = await start([t]);
    const r = await engine.runs.wait((await engine.trigger(t, undefined)).id, { timeoutMs: 10_000 });
    assert.deepEqual(seen, ["reason true", "thrown true"]);
    assert.ok(!r.ok && r.error.name === "StepTimeoutError" && /step "slow" timed out after 30 ms/.test(r.error.message));
    await engine.close();
  });

  it("an output JSON cannot carry is an UnstorableValueError and is not retried; a user's TypeError with the same words is", { timeout: 20_000 }, async () => {
    const calls = { big: 0, lookalike: 0 };
    const caught: boolean[] = [];
    const t = defineTask({
      id: "t",
      retry: { maxAttempts: 1 },
      run: async (_: void, ctx) => {
        const retry = { maxAttempts: 3, minDelayMs: 1, randomize: false };
        await ctx.step("big", () => (calls.big++, { n: 1n }), { retry }).catch((e: unknown) => {
          caught.push(e instanceof UnstorableValueError, e instanceof TypeError);
        });
        await ctx.step("lookalike", () => {
          calls.lookalike++;
          throw new TypeError("the card cannot be stored as JSON: $.pin is secret");
        }, { retry });
      },
    });
    const engine = await start([t]);
    const r = await engine.runs.wait((await engine.trigger(t, undefined)).id, { timeoutMs: 10_000 });
    assert.deepEqual(caught, [true, true]);
    assert.deepEqual(calls, { big: 1, lookalike: 3 }, "the unstorable output fails at once; an ordinary TypeError follows the retry policy");
    assert.ok(!r.ok && r.error.stepKey === "lookalike");
    await engine.close();
  });

  it("a worker that loses its lease aborts the run's signal with a LeaseLostError", { timeout: 30_000 }, async () => {
    const path = tempDb();
    let reason: unknown = null;
    const t = defineTask({
      id: "t",
      run: async (_: void, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        reason = ctx.signal.reason;
      },
    });
    const engine = await start([t], path, 600);
    const h = await engine.trigger(t, undefined);
    await until(async () => (await engine.runs.get(h.id))?.status === "running", "the run started");
    // Another worker takes the run over, as it would once the lease expired (its clock is 10 min ahead).
    const other = sqliteStore({ path });
    const [taken] = await other.claimRuns({ workerId: "other", queues: null, limit: 1, leaseMs: 60_000, now: Date.now() + 600_000 });
    assert.equal(taken?.run.id, h.id);
    await until(() => reason !== null, "the first worker noticed at its next heartbeat");
    assert.ok(reason instanceof LeaseLostError, String(reason));
    await other.close();
    await engine.close();
  });
});
