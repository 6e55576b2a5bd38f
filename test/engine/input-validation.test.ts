/**
 * Issue 13, rows 7, 10 and 13, on both stores: durations that could never be honoured, out-of-range
 * options, names the stores cannot hold, and bad query arguments are `TypeError`s naming the call and
 * the option, raised before any store call — so SQLite and PostgreSQL answer alike and nothing is written.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, type AnyTask, type Engine } from "errand";
import { stopTestPgServer } from "../support/pg.ts";
import { STORE_KINDS, type StoreKind } from "../support/stores.ts";

after(() => stopTestPgServer());

const noop = defineTask({ id: "noop", run: async () => "ok" });

/** Runs `fn` against an engine on `kind` with `tasks`, a worker started; closes everything. */
async function withEngine(kind: StoreKind, tasks: AnyTask[], fn: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = createEngine({ store: await kind.open(), tasks });
  try {
    await engine.worker({ pollIntervalMs: 20 }).start();
    await fn(engine);
  } finally {
    await engine.close();
  }
}

/** `promise` rejects with a TypeError whose message matches every pattern. */
async function typeError(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof TypeError, `a TypeError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

/** Calls each bad call inside a run and returns what each threw (name: message). */
function probeTask(id: string, calls: (ctx: Parameters<AnyTask["options"]["run"]>[1]) => Record<string, () => Promise<unknown>>) {
  return defineTask({
    id,
    run: async (_: void, ctx) => {
      const out: Record<string, string> = {};
      for (const [name, call] of Object.entries(calls(ctx))) {
        try {
          await call();
          out[name] = "accepted";
        } catch (e) {
          out[name] = `${(e as Error).name}: ${(e as Error).message}`;
        }
      }
      return out;
    },
  });
}

for (const kind of STORE_KINDS) {
  describe(`input validation on ${kind.name}`, { timeout: 120_000 }, () => {
    it("durations that could never be honoured are TypeErrors naming the unit or value; no wait is written (row 7)", async () => {
      const t = probeTask("sleeps", (ctx) => ({
        constructor: () => ctx.sleep("a", JSON.parse('{"constructor": 1}')),
        toString: () => ctx.sleep("b", JSON.parse('{"toString": 1}')),
        proto: () => ctx.sleep("c", JSON.parse('{"__proto__": 1}')),
        valueOf: () => ctx.sleep("d", JSON.parse('{"valueOf": 1}')),
        days: () => ctx.sleep("e", { days: 1e305 }),
        huge: () => ctx.sleep("f", 1e300),
        until: () => ctx.sleepUntil("g", 1e300),
        eventTimeout: () => ctx.waitForEvent("h", { event: "x", timeoutMs: 1e300 }),
        stepTimeout: () => ctx.step("i", () => 1, { timeoutMs: 1e300 }),
        stepRetry: () => ctx.step("j", () => 1, { retry: { maxAttempts: 2, minDelayMs: 1e300 } }),
      }));
      await withEngine(kind, [t], async (engine) => {
        const h = await engine.trigger(t, undefined);
        const r = await engine.runs.wait(h.id, { timeoutMs: 30_000 });
        assert.ok(r.ok, "the run completed: no call suspended it");
        const out = r.output as Record<string, string>;
        assert.match(out["constructor"]!, /^TypeError: ctx\.sleep\("a"\): unknown duration unit "constructor"/);
        assert.match(out["toString"]!, /^TypeError: ctx\.sleep\("b"\): unknown duration unit "toString"/);
        assert.match(out["proto"]!, /^TypeError: ctx\.sleep\("c"\): unknown duration unit "__proto__"/);
        assert.match(out["valueOf"]!, /^TypeError: ctx\.sleep\("d"\): unknown duration unit "valueOf"/);
        assert.match(out["days"]!, /^TypeError: ctx\.sleep\("e"\).*`days`.*maximum/);
        assert.match(out["huge"]!, /^TypeError: ctx\.sleep\("f"\).*1e\+300.*maximum/);
        assert.match(out["until"]!, /^TypeError: ctx\.sleepUntil\("g"\).*after 9999/);
        assert.match(out["eventTimeout"]!, /^TypeError: ctx\.waitForEvent\("h"\): option `timeoutMs`.*maximum/);
        assert.match(out["stepTimeout"]!, /^TypeError: step "i": option `timeoutMs`.*maximum/);
        assert.match(out["stepRetry"]!, /^TypeError: step "j": option `retry.minDelayMs`.*maximum/);
        assert.deepEqual(await engine.runs.steps(h.id), [], "no step and no wait was recorded");
      });
    });

    it("trigger options out of range or unstorable are TypeErrors naming the option; nothing is enqueued (row 10)", async () => {
      await withEngine(kind, [noop], async (engine) => {
        const bad: [Record<string, unknown>, RegExp][] = [
          [{ delayMs: 1e300 }, /option `delayMs`.*maximum/],
          [{ delayMs: 1e16 }, /option `delayMs`.*maximum/],
          [{ ttlMs: 1e300 }, /option `ttlMs`.*maximum/],
          [{ idempotencyKey: "k", idempotencyKeyTtlMs: 1e300 }, /option `idempotencyKeyTtlMs`.*maximum/],
          [{ runAt: new Date(8.64e15) }, /option `runAt`.*after 9999/],
          [{ maxAttempts: 2 ** 31 }, /option `maxAttempts` must be an integer from 1 to 2147483647/],
          [{ tags: ["a\u0000b"] }, /option `tags`: tag 0 must not contain a NUL/],
          [{ tags: ["ok", "\ud800"] }, /option `tags`: tag 1 must not contain a lone surrogate/],
          [{ idempotencyKey: "k\u0000" }, /option `idempotencyKey` must not contain a NUL/],
          [{ queue: "q\u0000" }, /option `queue` must not contain a NUL/],
          [{ concurrencyKey: "\udfff" }, /option `concurrencyKey` must not contain a lone surrogate/],
          [{ queue: "q".repeat(1_000_000) }, /option `queue` must be at most 512 characters/],
          [{ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, /option `tags`.*at most 64 \(limits\.tags\)/],
        ];
        for (const [options, re] of bad) {
          await typeError(engine.trigger(noop, undefined, options as never), /^trigger\("noop"\): /, re);
          await typeError(engine.batchTrigger(noop, [{ payload: undefined }, { payload: undefined, options: options as never }]), re);
        }
        assert.equal((await engine.runs.list()).runs.length, 0, "nothing was enqueued");
        // Fractions of a millisecond are rounded (a bigint column takes whole numbers only).
        const h = await engine.trigger(noop, undefined, { delayMs: 0.5, ttlMs: 60_000.7 });
        assert.equal((await engine.runs.wait(h.id, { timeoutMs: 20_000 })).ok, true);
      });
    });

    it("event names and step keys the stores cannot hold are TypeErrors; nothing is written (row 10)", async () => {
      const t = probeTask("names", (ctx) => ({
        eventNul: () => ctx.waitForEvent("a", { event: "paid\u0000" }),
        eventLong: () => ctx.waitForEvent("b", { event: "e".repeat(1_000_000) }),
        stepNul: () => ctx.step("s\u0000", () => 1),
        stepSurrogate: () => ctx.step("\ud800", () => 1),
        sleepLong: () => ctx.sleep("k".repeat(300), 1),
      }));
      await withEngine(kind, [t], async (engine) => {
        await typeError(engine.sendEvent("paid\u0000", {}), /^engine\.sendEvent: `event` must not contain a NUL/);
        await typeError(engine.sendEvent("\ud83d", {}), /lone surrogate/);
        await typeError(engine.sendEvent("e".repeat(1_000_000), {}), /`event` must be at most 256 characters/);
        const r = await engine.runs.wait((await engine.trigger(t, undefined)).id, { timeoutMs: 30_000 });
        const out = r.unwrap() as Record<string, string>;
        assert.match(out["eventNul"]!, /^TypeError: ctx\.waitForEvent\("a"\): option `event` must not contain a NUL/);
        assert.match(out["eventLong"]!, /option `event` must be at most 256 characters/);
        assert.match(out["stepNul"]!, /^TypeError: ctx\.step: the key must not contain a NUL/);
        assert.match(out["stepSurrogate"]!, /^TypeError: ctx\.step: the key must not contain a lone surrogate/);
        assert.match(out["sleepLong"]!, /^TypeError: ctx\.sleep: the key must be at most 256 characters/);
        assert.deepEqual(await engine.runs.steps(r.id), []);
      });
    });

    it("bad arguments to the runs API, prune and progress are TypeErrors naming the option (row 13)", async () => {
      const progress = probeTask("progress", (ctx) => ({
        object: () => ctx.progress(0.5, { a: 1 } as never),
        nul: () => ctx.progress(0.5, "half\u0000"),
        long: () => ctx.progress(0.5, "m".repeat(1001)),
        fine: () => ctx.progress(0.5, "half way"),
      }));
      await withEngine(kind, [noop, progress], async (engine) => {
        const h = await engine.trigger(noop, undefined);
        await engine.runs.wait(h.id, { timeoutMs: 20_000 });
        await typeError(engine.runs.list({ limit: NaN }), /^engine\.runs\.list: option `limit` must be an integer from 1 to 1000, got NaN/);
        await typeError(engine.runs.list({ limit: 0 }), /option `limit`/);
        await typeError(engine.runs.list({ limit: 1001 }), /option `limit`/);
        await typeError(engine.runs.list({ status: "nope" as never }), /option `status`.*"nope".*queued, delayed/);
        await typeError(engine.runs.list({ status: ["queued", 5] as never }), /option `status`/);
        await typeError(engine.runs.list({ cursor: "garbage" }), /option `cursor` is not a cursor from this API/);
        await typeError(engine.runs.list({ taskId: 5 } as never), /option `taskId`/);
        await typeError(engine.runs.list({ tag: "a\u0000" }), /option `tag` must not contain a NUL/);
        await typeError(engine.runs.list({ stauts: "queued" } as never), /unknown option `stauts`/);
        await typeError(engine.runs.list(null as never), /options must be an object/);
        // A real cursor still pages.
        await engine.trigger(noop, undefined);
        const page = await engine.runs.list({ limit: 1 });
        assert.equal(page.runs.length, 1);
        assert.equal((await engine.runs.list({ limit: 1, cursor: page.nextCursor })).runs.length, 1);

        for (const call of [
          (id: never) => engine.runs.get(id),
          (id: never) => engine.runs.cancel(id),
          (id: never) => engine.runs.replay(id),
          (id: never) => engine.runs.steps(id),
          (id: never) => engine.runs.logs(id),
          (id: never) => engine.runs.wait(id, { timeoutMs: 10 }),
        ]) {
          await typeError(call({} as never), /^engine\.runs\.\w+: `id` must be a non-empty string/);
          await typeError(call("a\u0000b" as never), /`id` must not contain a NUL/);
        }
        assert.equal(await engine.runs.get("not-a-run"), null, "an unknown id is still just not found");
        await typeError(engine.runs.wait(h.id, { timeoutMs: 1e300 }), /^engine\.runs\.wait: option `timeoutMs`.*maximum/);
        await typeError(engine.runs.metrics({ since: new Date("x"), bucketMs: 1000 }), /^engine\.runs\.metrics: option `since`/);
        await typeError(engine.runs.metrics({ since: new Date(), bucketMs: 0 }), /^engine\.runs\.metrics: option `bucketMs`/);
        await typeError(engine.prune({ olderThanMs: 1e300 }), /^engine\.prune: option `olderThanMs`.*maximum/);
        await typeError(engine.prune({ olderThanMs: JSON.parse('{"constructor": 1}') }), /unknown duration unit "constructor"/);

        const r = await engine.runs.wait((await engine.trigger(progress, undefined)).id, { timeoutMs: 20_000 });
        const out = r.unwrap() as Record<string, string>;
        assert.match(out["object"]!, /^TypeError: ctx\.progress: `message` must be a string/);
        assert.match(out["nul"]!, /^TypeError: ctx\.progress: `message` must not contain a NUL/);
        assert.match(out["long"]!, /^TypeError: ctx\.progress: `message` must be at most 1000 characters/);
        assert.equal(out["fine"], "accepted");
        assert.equal((await engine.runs.get(r.id))?.progressMessage, "half way");
      });
    });
  });
}

describe("worker options out of range (row 7, row 10)", () => {
  it("are TypeErrors naming the option", async () => {
    const { sqliteStore } = await import("errand/sqlite");
    const engine = createEngine({ store: sqliteStore({ path: ":memory:" }), tasks: [noop] });
    assert.throws(() => engine.worker({ pollIntervalMs: 1e300 }), /engine\.worker: option `pollIntervalMs`.*maximum/);
    assert.throws(() => engine.worker({ leaseMs: 2 ** 31 }), /option `leaseMs`.*maximum of 2147483647 ms/);
    assert.throws(() => engine.worker({ gracefulStopMs: JSON.parse('{"constructor": 1}') }), /option `gracefulStopMs`: unknown duration unit "constructor"/);
    assert.throws(() => engine.worker({ prefetch: 1e300 }), /option `prefetch` must be an integer from 0 to 2147483647/);
    assert.throws(() => engine.worker({ queues: ["ok", "q\u0000"] }), /option `queues`: queue 1 must not contain a NUL/);
    await engine.close();
  });
});

describe("task definitions out of range (row 10)", () => {
  it("are TypeErrors naming the option", () => {
    const run = async () => 1;
    assert.throws(() => defineTask({ id: "a", retry: { maxAttempts: 2 ** 31 }, run }), /defineTask\("a"\): option `retry.maxAttempts` must be an integer from 1 to 2147483647/);
    assert.throws(() => defineTask({ id: "b", retry: { maxDelayMs: 1e300 }, run }), /option `retry.maxDelayMs`.*maximum/);
    assert.throws(() => defineTask({ id: "c", retry: { factor: Infinity }, run }), /option `retry.factor`/);
    assert.throws(() => defineTask({ id: "d", timeoutMs: 1e300, run }), /defineTask\("d"\): option `timeoutMs`.*maximum/);
    assert.throws(() => defineTask({ id: "e", timeoutMs: JSON.parse('{"valueOf": 1}'), run }), /option `timeoutMs`: unknown duration unit "valueOf"/);
    assert.throws(() => defineTask({ id: "f", queue: { name: "q\u0000" }, run }), /option `queue.name` must not contain a NUL/);
    assert.throws(() => defineTask({ id: "g", queue: { name: "q", concurrencyLimit: 2 ** 31 }, run }), /option `queue.concurrencyLimit` must be an integer from 1 to 2147483647/);
  });
});
