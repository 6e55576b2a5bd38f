/** The rest of the engine's surface: runs.wait, execute, events, progress/logs, concurrencyKey, prune, start-up. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine, defineTask, WaitTimeoutError, type AnyTask, type WorkerEvents } from "../../src/engine/index.ts";
import { sqliteStore } from "errand/sqlite";
import { sleep, tempDb, until } from "../support/temp.ts";

function engineWith(tasks: AnyTask[], path = tempDb()) {
  return createEngine({ store: sqliteStore({ path }), tasks });
}

describe("runs.wait and execute", () => {
  it("wait resolves with the output (unwrap) or the error, and rejects on timeout", async () => {
    const double = defineTask({ id: "double", run: async (p: { n: number }) => p.n * 2 });
    const boom = defineTask({
      id: "boom",
      retry: { maxAttempts: 1 },
      run: async () => {
        throw new Error("outer", { cause: new TypeError("inner") });
      },
    });
    const engine = engineWith([double, boom]);
    const h = await engine.trigger(double, { n: 21 });
    await assert.rejects(engine.runs.wait(h.id, { timeoutMs: 50 }), WaitTimeoutError, "no worker yet: times out");
    await engine.worker({ pollIntervalMs: 20 }).start();
    const ok = await engine.runs.wait<number>(h.id, { timeoutMs: 10_000 });
    assert.equal(ok.ok, true);
    assert.equal(ok.unwrap(), 42);
    const bad = await engine.runs.wait((await engine.trigger(boom, undefined)).id, { timeoutMs: 10_000 });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.message, "outer");
      assert.match(bad.error.stack ?? "", /outer/);
      assert.deepEqual([(bad.error.cause as { name: string }).name, (bad.error.cause as { message: string }).message], ["TypeError", "inner"]);
    }
    assert.throws(() => bad.unwrap(), /outer/);
    await assert.rejects(engine.runs.wait("nope"), /no run with id "nope"/);
    await engine.close();
  });

  it("execute runs a task now through the store (validated, steps recorded) without a worker", async () => {
    const steps = defineTask({
      id: "steps",
      run: async (p: { x: number }, ctx) => {
        const a = await ctx.step("a", () => p.x + 1);
        return ctx.step("b", () => a * 10);
      },
    });
    const engine = engineWith([steps]);
    const r = await engine.execute(steps, { x: 1 });
    assert.equal(r.unwrap(), 20);
    assert.deepEqual((await engine.runs.steps(r.id)).map((s) => [s.key, s.output]), [["a", 2], ["b", 20]]);
    assert.equal((await engine.runs.get(r.id))!.status, "completed");
    await assert.rejects(engine.execute(steps, { x: 10n } as never), /BigInt/);
    await engine.close();
  });
});

describe("worker events, progress and logs", () => {
  it("emits typed events in order and stores progress and logs with the run", async () => {
    const flaky = defineTask({
      id: "flaky",
      retry: { maxAttempts: 2, minDelayMs: 10, randomize: false },
      run: async (_: void, ctx) => {
        ctx.log.info("attempt", { attempt: ctx.run.attempt });
        await ctx.progress(0.5, "half");
        if (ctx.run.attempt === 1) throw new Error("first fails");
        return "done";
      },
    });
    const engine = engineWith([flaky]);
    const w = engine.worker({ pollIntervalMs: 10 });
    const seen: string[] = [];
    const progress: WorkerEvents["run:progress"][] = [];
    for (const e of ["run:started", "run:retrying", "run:completed", "worker:stopped"] as const) w.on(e, () => seen.push(e));
    w.on("run:progress", (p) => progress.push(p));
    await w.start();
    const h = await engine.trigger(flaky, undefined);
    assert.equal((await engine.runs.wait(h.id, { timeoutMs: 10_000 })).unwrap(), "done");
    await w.stop();
    assert.deepEqual(seen, ["run:started", "run:retrying", "run:started", "run:completed", "worker:stopped"]);
    assert.deepEqual(progress.map((p) => [p.run.id, p.progress, p.message]), [[h.id, 0.5, "half"], [h.id, 0.5, "half"]]);
    const view = (await engine.runs.get(h.id))!;
    assert.deepEqual([view.progress, view.progressMessage, view.attempt], [0.5, "half", 2]);
    const logs = await engine.runs.logs(h.id);
    // A log line is stored once per position in the code, across re-executions (docs/CONTRACT.md §2).
    assert.deepEqual(logs.map((l) => [l.message, l.data, l.attempt]), [["attempt", { attempt: 1 }, 1]]);
    await engine.close();
  });
});

describe("limits", () => {
  it("a queue's limit holds per concurrencyKey", async () => {
    const live = new Map<string, number>();
    const max = new Map<string, number>();
    const perTenant = defineTask({
      id: "per-tenant",
      queue: { name: "tenants", concurrencyLimit: 2 },
      run: async (p: { tenant: string }) => {
        const n = (live.get(p.tenant) ?? 0) + 1;
        live.set(p.tenant, n);
        max.set(p.tenant, Math.max(max.get(p.tenant) ?? 0, n));
        await sleep(30);
        live.set(p.tenant, live.get(p.tenant)! - 1);
      },
    });
    const engine = engineWith([perTenant]);
    const items = ["a", "b"].flatMap((tenant) =>
      Array.from({ length: 6 }, () => ({ payload: { tenant }, options: { concurrencyKey: tenant } })),
    );
    const handles = await engine.batchTrigger(perTenant, items);
    await engine.worker({ concurrency: 8, pollIntervalMs: 10 }).start();
    await Promise.all(handles.map((h) => engine.runs.wait(h.id, { timeoutMs: 20_000 })));
    assert.deepEqual([max.get("a"), max.get("b")], [2, 2], "two per tenant at most, and both tenants reached it");
    await engine.close();
  });
});

describe("engine start-up, prune, close", () => {
  it("migrates lazily once even under concurrent first calls; prune deletes only old finished runs", async () => {
    const noop = defineTask({ id: "noop", run: async () => null });
    const path = tempDb();
    let clockMs = Date.now();
    const engine = createEngine({ store: sqliteStore({ path }), tasks: [noop], clock: () => clockMs });
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => engine.trigger(noop, undefined, { tags: [`t${i}`] })));
    assert.equal(new Set(first.map((h) => h.id)).size, 5);
    await engine.worker({ pollIntervalMs: 10 }).start();
    await Promise.all(first.map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
    clockMs += 60_000;
    const fresh = await engine.trigger(noop, undefined);
    await engine.runs.wait(fresh.id, { timeoutMs: 10_000 });
    const queued = await engine.trigger(noop, undefined, { delayMs: 3_600_000 });
    assert.equal(await engine.prune({ olderThanMs: 30_000 }), 5, "the five old finished runs");
    assert.equal((await engine.runs.get(fresh.id))?.status, "completed", "a recent finished run stays");
    assert.equal((await engine.runs.get(queued.id))?.status, "delayed", "an unfinished run stays");
    await assert.rejects(engine.prune({ olderThanMs: -1 }), TypeError);
    await engine.close();
    await engine.close(); // idempotent
    await assert.rejects(engine.trigger(noop, undefined), /closed/);
  });

  it("a run canceled through another engine on the same file is aborted via the heartbeat", async () => {
    let reason: unknown = null;
    const wait = defineTask({
      id: "wait",
      run: async (_: void, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        reason = ctx.signal.reason;
        throw ctx.signal.reason;
      },
    });
    const path = tempDb();
    const a = engineWith([wait], path);
    const b = engineWith([wait], path);
    const h = await a.trigger(wait, undefined);
    const w = a.worker({ pollIntervalMs: 10, leaseMs: 300 });
    const canceled: string[] = [];
    w.on("run:canceled", (e) => canceled.push(e.run.id));
    await w.start();
    await until(async () => (await b.runs.get(h.id))?.status === "running", "running in engine a");
    assert.equal(await b.runs.cancel(h.id), true);
    await until(() => reason !== null, "the heartbeat aborts the signal", 10_000);
    assert.equal((reason as Error).name, "RunCanceledError");
    assert.deepEqual(canceled, [h.id]);
    assert.equal((await a.runs.get(h.id))?.status, "canceled");
    await a.close();
    await b.close();
  });
});
