/**
 * Flow control and routing on both stores (docs/CONTRACT.md §7, docs/flow-control.md): workers claim
 * only their tasks' runs, queue rate limits, debounced triggers, `ctx.init`, refused options.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, type Engine } from "errand";
import type { Store } from "errand/store";
import { stopTestPgServer } from "../support/pg.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { sleep, until } from "../support/temp.ts";

after(stopTestPgServer);

const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});
function track(e: Engine): Engine {
  engines.push(e);
  return e;
}

for (const kind of STORE_KINDS) {
  describe(`flow control on ${kind.name}`, { timeout: 120_000 }, () => {
    it("routing: a worker never claims a run of a task its engine does not register; the run waits for one that does", async () => {
      const store = await kind.open();
      const a = defineTask({ id: "app-a.job", run: (p: { n: number }) => p.n });
      const b = defineTask({ id: "app-b.job", retry: { maxAttempts: 5 }, run: () => "done by b" });
      const engineA = track(createEngine({ store, tasks: [a] }));
      const engineB = track(createEngine({ store: sharedView(store), tasks: [b] }));
      const foreign = await engineB.trigger(b, undefined);
      const worker = engineA.worker({ pollIntervalMs: 20 });
      await worker.start();
      const own = await engineA.trigger(a, { n: 7 });
      assert.equal((await engineA.runs.wait(own, { timeoutMs: 20_000 })).unwrap(), 7);
      await sleep(100); // more polls of worker A
      const seen = (await engineA.runs.get(foreign.id))!;
      assert.equal(seen.status, "queued", "never failed, never claimed");
      assert.equal(seen.attempt, 1);
      assert.equal(seen.error, null);
      assert.equal(seen.startedAt, null);
      assert.equal(seen.waitingForWorker, true, "engine A shows it as waiting for a worker that knows the task");
      assert.equal((await engineB.runs.get(foreign.id))!.waitingForWorker, false);
      await worker.stop();
      const workerB = engineB.worker({ pollIntervalMs: 20 });
      await workerB.start();
      assert.equal((await engineB.runs.wait(foreign.id, { timeoutMs: 20_000 })).unwrap(), "done by b");
      await workerB.stop();
    });

    it("routing: engine.worker({ tasks }) narrows the tasks a worker claims; an unregistered task is refused", async () => {
      const store = await kind.open();
      const fast = defineTask({ id: "fast", run: () => "fast" });
      const slow = defineTask({ id: "slow", run: () => "slow" });
      const engine = track(createEngine({ store, tasks: [fast, slow] }));
      assert.throws(() => engine.worker({ tasks: ["nope"] }), (e: unknown) => e instanceof TypeError && /option `tasks`/.test(e.message) && /"nope"/.test(e.message));
      assert.throws(() => engine.worker({ tasks: [] }), TypeError);
      const [f, s] = [await engine.trigger(fast, undefined), await engine.trigger(slow, undefined)];
      const worker = engine.worker({ tasks: [fast], pollIntervalMs: 20 });
      await worker.start();
      await engine.runs.wait(f, { timeoutMs: 20_000 });
      await sleep(100);
      assert.equal((await engine.runs.get(s.id))!.status, "queued");
      assert.equal((await engine.runs.get(s.id))!.waitingForWorker, false, "this engine knows the task; another of its workers may run it");
      await worker.stop();
      const other = engine.worker({ tasks: ["slow"], pollIntervalMs: 20 });
      await other.start();
      assert.equal((await engine.runs.wait(s, { timeoutMs: 20_000 })).ok, true);
      await other.stop();
    });

    it("rate limit: at most `limit` starts in any window of `period`; held runs show their next start; all run in the end", async () => {
      const store = await kind.open();
      let clock = 1_900_000_000_000;
      const job = defineTask({ id: "ratelimited", queue: { name: "api", rateLimit: { limit: 2, period: { seconds: 10 } } }, run: (p: { i: number }) => p.i });
      const engine = track(createEngine({ store, tasks: [job], clock: () => clock }));
      const handles = await engine.batchTrigger(job, [0, 1, 2, 3, 4].map((i) => ({ i })));
      const worker = engine.worker({ pollIntervalMs: 20, concurrency: 10 });
      await worker.start();
      const started = async () => (await Promise.all(handles.map((h) => engine.runs.get(h.id)))).filter((r) => r!.startedAt !== null);
      await until(async () => (await started()).length === 2, "two runs started");
      await sleep(150);
      assert.equal((await started()).length, 2, "the window is full: the others wait");
      const held = (await Promise.all(handles.map((h) => engine.runs.get(h.id)))).filter((r) => r!.startedAt === null);
      assert.equal(held.length, 3);
      for (const r of held) {
        assert.equal(r!.status, "queued", "held back, not dropped");
        assert.equal(r!.rateLimitedUntil?.getTime(), clock + 10_000);
        assert.equal(r!.runAt.getTime(), clock + 10_000);
      }
      clock += 10_000;
      await until(async () => (await started()).length === 4, "two more started in the next window");
      clock += 10_000;
      const results = await Promise.all(handles.map((h) => engine.runs.wait(h, { timeoutMs: 20_000 })));
      assert.deepEqual(results.map((r) => r.ok && r.output), [0, 1, 2, 3, 4]);
      await worker.stop();
    });

    it("debounce: one pending run per key gets the last payload; once it started, the next trigger makes a new run", async () => {
      const store = await kind.open();
      const seen: string[] = [];
      const index = defineTask({ id: "reindex", run: (p: { doc: string }) => void seen.push(p.doc) });
      const engine = track(createEngine({ store, tasks: [index] }));
      const debounce = { key: "doc-1", delay: { seconds: 1 } };
      const first = await engine.trigger(index, { doc: "v1" }, { debounce });
      const second = await engine.trigger(index, { doc: "v2" }, { debounce });
      const third = await engine.trigger(index, { doc: "v3" }, { debounce });
      assert.deepEqual([first.created, second.created, third.created], [true, false, false]);
      assert.equal(second.id, first.id);
      assert.equal(third.id, first.id);
      const pending = (await engine.runs.get(first.id))!;
      assert.deepEqual(pending.payload, { doc: "v3" });
      assert.equal(pending.status, "delayed");
      const worker = engine.worker({ pollIntervalMs: 20 });
      await worker.start();
      await engine.runs.wait(first, { timeoutMs: 20_000 });
      assert.deepEqual(seen, ["v3"], "one execution, with the last payload");
      const next = await engine.trigger(index, { doc: "v4" }, { debounce: { key: "doc-1", delay: 10 } });
      assert.equal(next.created, true);
      assert.notEqual(next.id, first.id);
      await engine.runs.wait(next, { timeoutMs: 20_000 });
      assert.deepEqual(seen, ["v3", "v4"]);
      await worker.stop();
    });

    it("debounce: bad options are refused naming the option, and nothing is enqueued", async () => {
      const store = await kind.open();
      const t = defineTask({ id: "t", run: () => null });
      const engine = track(createEngine({ store, tasks: [t] }));
      const bad: [object, RegExp][] = [
        [{ debounce: { key: "k", delay: 0 } }, /debounce`\.delay/],
        [{ debounce: { key: "", delay: 10 } }, /debounce`\.key/],
        [{ debounce: { key: "k", delay: 10, maxDelay: 5 } }, /maxDelay/],
        [{ debounce: { key: "k", delay: 10, wait: 5 } }, /debounce\.wait/],
        [{ debounce: { key: "k", delay: 10 }, idempotencyKey: "x" }, /`idempotencyKey`/],
        [{ debounce: { key: "k", delay: 10 }, delayMs: 5 }, /`delayMs`/],
      ];
      for (const [options, message] of bad) {
        await assert.rejects(engine.trigger(t, undefined, options as never), (e: unknown) => e instanceof TypeError && message.test(e.message), JSON.stringify(options));
      }
      assert.equal((await engine.runs.list()).runs.length, 0);
    });

    it("init's return value reaches run as ctx.init (every execution)", async () => {
      const store = await kind.open();
      let inits = 0;
      const t = defineTask({
        id: "with-init",
        init: () => ({ db: `connection-${++inits}` }),
        run: async (p: { x: number }, ctx) => {
          await ctx.sleep("nap", 1);
          const db: string = ctx.init.db;
          // @ts-expect-error — ctx.init is what init returned: { db: string }
          const wrong: number = ctx.init.db;
          void wrong;
          return `${db}:${p.x}`;
        },
      });
      const engine = track(createEngine({ store, tasks: [t] }));
      const worker = engine.worker({ pollIntervalMs: 20 });
      await worker.start();
      const h = await engine.trigger(t, { x: 1 });
      assert.equal((await engine.runs.wait(h, { timeoutMs: 20_000 })).unwrap(), "connection-2:1", "init ran again when the run resumed after its sleep");
      await worker.stop();
    });
  });
}

describe("options that do nothing are refused", () => {
  it("defineTask refuses unknown options (such as `machine`), naming them", () => {
    const check = (options: object, names: RegExp) =>
      assert.throws(() => defineTask({ id: "t", run: () => null, ...options } as never), (e: unknown) => e instanceof TypeError && names.test(e.message));
    check({ machine: "large-1x" }, /unknown option `machine`/);
    check({ machine: "x", maxDuration: 5 }, /`machine`, `maxDuration`/);
    check({ queue: { name: "q", concurrency: 2 } }, /`queue\.concurrency`/);
    check({ queue: { name: "q", rateLimit: { limit: 1, period: 10, burst: 2 } } }, /`queue\.rateLimit\.burst`/);
    check({ queue: { name: "q", rateLimit: { limit: 0, period: 10 } } }, /queue\.rateLimit`\.limit/);
    check({ queue: { name: "q", rateLimit: { limit: 1, period: 0 } } }, /queue\.rateLimit`\.period/);
    check({ queue: { name: "q", rateLimit: { limit: 1, period: 10, perKey: "yes" } } }, /perKey/);
  });
});

/** The same store under a second engine (another app): closing that engine leaves the store to the first. */
function sharedView(store: Store): Store {
  return { ...store, close: async () => {} };
}
