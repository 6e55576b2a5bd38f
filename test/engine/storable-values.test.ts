/**
 * Issue 13, rows 11, 12, 13 (depth) and 14, on both stores: what gets stored is what was given, or a
 * clear refusal that leaves nothing behind. Logs with NUL keep every line; a thrown value whose
 * serialisation throws still fails its run at once; JSON-lossy values and values over the `limits`
 * are refused with an UnstorableValueError naming the path.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, UnstorableValueError, type AnyTask, type Engine, type Limits } from "errand";
import { stopTestPgServer } from "../support/pg.ts";
import { STORE_KINDS, type StoreKind } from "../support/stores.ts";

after(() => stopTestPgServer());

async function withEngine(kind: StoreKind, tasks: AnyTask[], fn: (engine: Engine) => Promise<void>, limits?: Limits): Promise<void> {
  const engine = createEngine({ store: await kind.open(), tasks, ...(limits ? { limits } : {}) });
  try {
    // A long lease: a run left `running` by a failed write would show as a wait timeout, not be taken over.
    await engine.worker({ pollIntervalMs: 20, leaseMs: 120_000 }).start();
    await fn(engine);
  } finally {
    await engine.close();
  }
}

async function unstorable(promise: Promise<unknown>, path: string, found: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof UnstorableValueError, `an UnstorableValueError, got ${String(e)}`);
    assert.equal(e.path, path);
    assert.match(e.message, found);
    return true;
  });
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const free = defineTask({ id: "free", run: async (p: unknown) => p });

/** Things a task may throw whose serialisation used to throw. */
const THROWN: Record<string, () => unknown> = {
  proxy: () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error("get trap");
        },
        getPrototypeOf() {
          throw new Error("getPrototypeOf trap");
        },
      },
    ),
  revoked: () => {
    const { proxy, revoke } = Proxy.revocable(new Error("x"), {});
    revoke();
    return proxy;
  },
  messageGetter: () =>
    Object.defineProperty(new Error("x"), "message", {
      get() {
        throw new Error("message getter");
      },
    }),
  nameToJSON: () =>
    Object.defineProperty(new Error("odd name"), "name", {
      value: {
        toJSON() {
          throw new Error("toJSON");
        },
      },
    }),
  cyclicCause: () => {
    const a = new Error("a");
    a.cause = new Error("b", { cause: a });
    return a;
  },
  hugeChain: () => {
    let e = new Error("root");
    for (let i = 0; i < 100_000; i++) e = new Error(`level ${i}`, { cause: e });
    return e;
  },
};

for (const kind of STORE_KINDS) {
  describe(`storable values on ${kind.name}`, { timeout: 180_000 }, () => {
    it("a log line with NUL is stored escaped and every other line of the execution is kept (row 11)", async () => {
      const t = defineTask({
        id: "logger",
        run: async (_: void, ctx) => {
          ctx.log.info("before");
          ctx.log.warn("with\u0000nul", { s: "data\u0000ok" });
          ctx.log.info("lone \ud800 surrogate");
          ctx.log.error({ toString: () => "not a string" } as never);
          await ctx.step("s", () => ctx.log.info("in a step"));
          ctx.log.info("after");
          return 1;
        },
      });
      await withEngine(kind, [t], async (engine) => {
        const r = await engine.runs.wait((await engine.trigger(t, undefined)).id, { timeoutMs: 30_000 });
        assert.ok(r.ok);
        const logs = await engine.runs.logs(r.id);
        assert.deepEqual(
          logs.map((l) => [l.level, l.message, l.data]),
          [
            ["info", "before", null],
            ["warn", "with\\u0000nul", { s: "data\u0000ok" }],
            ["info", "lone \uFFFD surrogate", null],
            ["error", "not a string", null],
            ["info", "in a step", null],
            ["info", "after", null],
          ],
        );
      });
    });

    it("a thrown value whose serialisation throws fails the run at once, not after its lease (row 12)", async () => {
      const thrower = defineTask({
        id: "thrower",
        retry: { maxAttempts: 1 },
        run: async (p: { kind: string }) => {
          throw THROWN[p.kind]!();
        },
      });
      const inStep = defineTask({
        id: "in-step",
        retry: { maxAttempts: 1 },
        run: async (p: { kind: string }, ctx) => {
          await ctx.step("boom", () => {
            throw THROWN[p.kind]!();
          });
        },
      });
      await withEngine(kind, [thrower, inStep], async (engine) => {
        for (const task of [thrower, inStep]) {
          for (const k of Object.keys(THROWN)) {
            const h = await engine.trigger(task, { kind: k });
            const r = await engine.runs.wait(h.id, { timeoutMs: 20_000 });
            assert.equal(r.ok, false, `${task.id}/${k} failed`);
            if (!r.ok) {
              assert.equal(typeof r.error.name, "string", `${task.id}/${k}`);
              assert.equal(typeof r.error.message, "string", `${task.id}/${k}`);
              assert.ok(JSON.stringify(r.error).length < 500_000, `${task.id}/${k}: bounded`);
            }
            assert.equal((await engine.runs.get(h.id))?.status, "failed");
          }
        }
        const chain = await engine.runs.wait((await engine.trigger(thrower, { kind: "hugeChain" })).id, { timeoutMs: 20_000 });
        assert.ok(!chain.ok && chain.error.message === "level 99999");
      });
    });

    it("values JSON would change silently are refused, naming the path; nothing is written (row 14)", async () => {
      const outputs = defineTask({ id: "outputs", run: async (p: { kind: string }) => (p.kind === "bytes" ? { b: new Uint8Array(2) } : { d: new Date("x") }) });
      const steps = defineTask({
        id: "steps",
        run: async (_: void, ctx) => {
          await ctx.step("sym", () => ({ [Symbol("k")]: 1 }));
        },
      });
      await withEngine(kind, [free, outputs, steps], async (engine) => {
        await unstorable(engine.trigger(free, { bytes: new Uint8Array([1, 2]) }), "$.bytes", /Uint8Array/);
        await unstorable(engine.trigger(free, { when: new Date("nope") }), "$.when", /invalid Date/);
        await unstorable(engine.trigger(free, { a: { [Symbol("k")]: 1 } }), "$.a", /symbol key/);
        await unstorable(engine.batchTrigger(free, [1, { m: new Map() }]), "$.m", /Map/);
        await unstorable(engine.sendEvent("e", { b: Buffer.from("x") }), "$.b", /Buffer|Uint8Array/);
        assert.equal((await engine.runs.list()).runs.length, 0, "nothing was enqueued");

        const bytes = await engine.runs.wait((await engine.trigger(outputs, { kind: "bytes" })).id, { timeoutMs: 20_000 });
        assert.ok(!bytes.ok && /the output of task "outputs" cannot be stored as JSON: \$\.b is a Uint8Array/.test(bytes.error.message));
        const date = await engine.runs.wait((await engine.trigger(outputs, { kind: "date" })).id, { timeoutMs: 20_000 });
        assert.ok(!date.ok && /\$\.d is an invalid Date/.test(date.error.message));
        const sym = await engine.runs.wait((await engine.trigger(steps, undefined)).id, { timeoutMs: 20_000 });
        assert.ok(!sym.ok && /the output of step "sym" cannot be stored as JSON: \$ is an object with a symbol key/.test(sym.error.message));
        const [step] = await engine.runs.steps(sym.id);
        assert.equal(step?.status, "failed");
        assert.equal(step?.output, null, "no output was stored");
      });
    });

    it("a 5,000-level value is a clear error wherever it is stored, never a stack overflow (row 13)", async () => {
      const deep = nested(5_000);
      const tooDeep = /nested deeper than 256 levels \(limits\.jsonDepth\)/;
      const t = defineTask({
        id: "deep",
        run: async (p: { where: string }, ctx) => {
          if (p.where === "step") await ctx.step("s", () => deep);
          if (p.where === "log") ctx.log.info("deep data", deep);
          if (p.where === "match") await ctx.waitForEvent("w", { event: "e", match: deep as never });
          return p.where === "output" ? deep : "done";
        },
      });
      await withEngine(kind, [free, t], async (engine) => {
        await unstorable(engine.trigger(free, deep), "$" + ".a".repeat(256), tooDeep);
        await unstorable(engine.sendEvent("e", deep), "$" + ".a".repeat(256), tooDeep);
        await unstorable(engine.schedules.create({ task: free, cron: "0 0 * * *", payload: deep }), "$" + ".a".repeat(256), tooDeep);
        for (const where of ["output", "step", "match"]) {
          const r = await engine.runs.wait((await engine.trigger(t, { where })).id, { timeoutMs: 20_000 });
          assert.ok(!r.ok && tooDeep.test(r.error.message), `${where}: ${JSON.stringify(r)}`);
        }
        const log = await engine.runs.wait((await engine.trigger(t, { where: "log" })).id, { timeoutMs: 20_000 });
        assert.ok(log.ok, "a log line never fails its run");
        const [line] = await engine.runs.logs(log.id);
        assert.equal(line?.message, "deep data");
        assert.match((line?.data as { unstorable: string }).unstorable, tooDeep);
      });
    });

    it("size caps from the `limits` option: payloads, outputs, step results, log lines and tags (row 14)", async () => {
      const big = defineTask({
        id: "big",
        run: async (p: { where: string; size: number }, ctx) => {
          const text = "x".repeat(p.size);
          if (p.where === "step") await ctx.step("s", () => text);
          if (p.where === "log") ctx.log.info(text, { text });
          if (p.where === "child") await ctx.triggerAndWait(free, text);
          return p.where === "output" ? text : "small";
        },
      });
      const limits: Limits = { payloadBytes: 200, outputBytes: 300, stepOutputBytes: 400, logLineBytes: 500, tags: 2 };
      await withEngine(
        kind,
        [free, big],
        async (engine) => {
          await unstorable(engine.trigger(free, "é".repeat(100)), "$", /202 bytes, over the limit of 200 bytes \(limits\.payloadBytes\)/);
          await unstorable(engine.sendEvent("e", "y".repeat(300)), "$", /limits\.payloadBytes/);
          await assert.rejects(engine.trigger(free, 1, { tags: ["a", "b", "c"] }), /at most 2 \(limits\.tags\)/);
          assert.equal((await engine.runs.list()).runs.length, 0, "nothing was enqueued");
          await engine.runs.wait((await engine.trigger(free, "y".repeat(190))).id, { timeoutMs: 20_000 });

          const output = await engine.runs.wait((await engine.trigger(big, { where: "output", size: 400 })).id, { timeoutMs: 20_000 });
          assert.ok(!output.ok && /the output of task "big".*402 bytes, over the limit of 300 bytes \(limits\.outputBytes\)/.test(output.error.message));
          const step = await engine.runs.wait((await engine.trigger(big, { where: "step", size: 500 })).id, { timeoutMs: 20_000 });
          assert.ok(!step.ok && /the output of step "s".*limits\.stepOutputBytes/.test(step.error.message));
          const child = await engine.runs.wait((await engine.trigger(big, { where: "child", size: 300 })).id, { timeoutMs: 20_000 });
          assert.ok(!child.ok && /the payload of task "free".*limits\.payloadBytes/.test(child.error.message));
          const log = await engine.runs.wait((await engine.trigger(big, { where: "log", size: 1000 })).id, { timeoutMs: 20_000 });
          assert.ok(log.ok);
          const [line] = await engine.runs.logs(log.id);
          assert.ok(Buffer.byteLength(line!.message) <= 500 + 100, "the message was cut");
          assert.match(line!.message, /^x+ … \[cut: the message was 1000 bytes, over limits\.logLineBytes \(500\)\]$/);
          assert.match((line!.data as { unstorable: string }).unstorable, /limits\.logLineBytes/);
        },
        limits,
      );
    });
  });
}

describe("the limits option", () => {
  it("is validated by createEngine, naming the option", async () => {
    const { sqliteStore } = await import("errand/sqlite");
    const store = sqliteStore({ path: ":memory:" });
    assert.throws(() => createEngine({ store, tasks: [], limits: { payloadBytes: 0 } }), /createEngine: option `limits.payloadBytes` must be an integer from 1 to 268435456, got 0/);
    assert.throws(() => createEngine({ store, tasks: [], limits: { jsonDepth: 1.5 } }), /option `limits.jsonDepth`/);
    assert.throws(() => createEngine({ store, tasks: [], limits: { payload: 5 } as never }), /unknown option `limits.payload`/);
    await store.close();
  });
});
