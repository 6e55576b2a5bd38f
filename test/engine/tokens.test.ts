/**
 * Issue 15, item 3: waitpoint tokens through the engine (SQLite): created like a step, waited for with
 * the worker slot freed, completed once, timed out, refused when unknown; `dashboardUrl` gives `url`.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, UnstorableValueError, type Engine, type EngineOptions } from "errand";
import { sqliteStore } from "errand/sqlite";
import { tempDb, until } from "../support/temp.ts";

const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

function engineWith(tasks: EngineOptions["tasks"], more: Partial<EngineOptions> = {}): Engine {
  const engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks, ...more });
  engines.push(engine);
  return engine;
}

const waitingFor = async (engine: Engine, runId: string) => {
  await until(async () => (await engine.runs.get(runId))?.status === "waiting", `run ${runId} waits`);
  const tokens = await engine.tokens.list({ runId });
  assert.equal(tokens.length, 1);
  return tokens[0]!;
};

/** Creates a token (counting executions and the ids it saw), then waits for it. */
function approvalTask(id: string, seen: string[], timeout?: number) {
  return defineTask({
    id,
    run: async (_: void, ctx) => {
      const token = await ctx.createToken<{ approved: boolean }>("approval", timeout === undefined ? undefined : { timeout });
      seen.push(token.id);
      await ctx.sleep("breather", 30); // one more replay before the wait
      return ctx.waitForToken(token);
    },
  });
}

describe("waitpoint tokens", () => {
  it("a run waits for its token; tokens.complete resumes it with the data; a replay gets the same token", { timeout: 30_000 }, async () => {
    const seen: string[] = [];
    const approval = approvalTask("approval", seen);
    const engine = engineWith([approval]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const handle = await engine.trigger(approval, undefined);
    const token = await waitingFor(engine, handle.id);
    assert.match(token.id, /^wpt_[A-Za-z0-9_-]{32}$/, "192 random bits, base64url");
    assert.deepEqual([token.runId, token.key, token.status, token.output, token.timeoutAt, token.url], [handle.id, "approval", "waiting", null, null, null]);
    const done = await engine.tokens.complete(token.id, { approved: true });
    assert.equal(done.completed, true);
    const result = await engine.runs.wait(handle, { timeoutMs: 10_000 });
    assert.deepEqual(result.unwrap(), { ok: true, output: { approved: true } });
    assert.ok(seen.length >= 3, `the run executed several times (${seen.length})`);
    assert.deepEqual(new Set(seen), new Set([token.id]), "every execution got the same token");
    assert.equal((await engine.tokens.list({ runId: handle.id })).length, 1);
    const steps = await engine.runs.steps(handle.id);
    assert.deepEqual(steps.map((s) => [s.key, s.kind, s.status]), [
      ["approval", "token", "completed"],
      ["breather", "sleep", "completed"],
      ["approval/wait", "token", "completed"],
    ]);
  });

  it("completing twice: the first wins, the second is reported and changes nothing", { timeout: 30_000 }, async () => {
    const approval = approvalTask("twice", []);
    const engine = engineWith([approval]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const handle = await engine.trigger(approval, undefined);
    const token = await waitingFor(engine, handle.id);
    const [first, second] = [await engine.tokens.complete(token.id, { approved: true }), await engine.tokens.complete(token.id, { approved: false })];
    assert.equal(first.completed, true);
    assert.deepEqual([second.completed, !second.completed && second.reason, second.token?.output], [false, "alreadyCompleted", { approved: true }]);
    assert.deepEqual((await engine.runs.wait(handle, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: { approved: true } });
  });

  it("a token that times out resolves the wait to { ok: false, error }; completing it later is refused", { timeout: 30_000 }, async () => {
    const approval = approvalTask("timeout", [], 300);
    const engine = engineWith([approval]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const handle = await engine.trigger(approval, undefined);
    const token = await waitingFor(engine, handle.id);
    assert.ok(token.timeoutAt !== null && token.timeoutAt.getTime() - token.createdAt.getTime() === 300);
    const result = (await engine.runs.wait(handle, { timeoutMs: 10_000 })).unwrap() as { ok: boolean; error: { name: string; message: string } };
    assert.deepEqual([result.ok, result.error.name], [false, "WaitpointTimeoutError"]);
    assert.ok(!result.error.message.includes(token.id), "the error names the token by key, never by its id");
    const late = await engine.tokens.complete(token.id, { approved: true });
    assert.deepEqual([late.completed, !late.completed && late.reason], [false, "expired"]);
    assert.equal((await engine.tokens.get(token.id))!.status, "expired");
  });

  it("the worker slot is free while a run waits for its token", { timeout: 30_000 }, async () => {
    const approval = approvalTask("slot", []);
    const quick = defineTask({ id: "quick", run: async () => "done" });
    const engine = engineWith([approval, quick]);
    await engine.worker({ pollIntervalMs: 20, concurrency: 1 }).start();
    const waiting = await engine.trigger(approval, undefined);
    const token = await waitingFor(engine, waiting.id);
    const others = await Promise.all([1, 2, 3].map(() => engine.trigger(quick, undefined)));
    for (const h of others) assert.equal((await engine.runs.wait(h, { timeoutMs: 10_000 })).unwrap(), "done");
    assert.equal((await engine.runs.get(waiting.id))!.status, "waiting");
    await engine.tokens.complete(token.id, { approved: false });
    assert.deepEqual((await engine.runs.wait(waiting, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: { approved: false } });
  });

  it("a token completed before the run waits for it: the wait returns at once", { timeout: 30_000 }, async () => {
    const ids: string[] = [];
    let gate: () => void = () => {};
    const gated = new Promise<void>((resolve) => (gate = resolve));
    const early = defineTask({
      id: "early",
      run: async (_: void, ctx) => {
        const token = await ctx.createToken("t");
        ids.push(token.id);
        await ctx.step("gate", () => gated);
        return ctx.waitForToken<string>(token);
      },
    });
    const engine = engineWith([early]);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const handle = await engine.trigger(early, undefined);
    await until(() => ids.length === 1, "the token is created");
    assert.equal((await engine.tokens.complete(ids[0]!, "early bird")).completed, true);
    gate();
    assert.deepEqual((await engine.runs.wait(handle, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: "early bird" });
  });

  it("dashboardUrl gives tokens a callback url", { timeout: 30_000 }, async () => {
    const urls: (string | undefined)[] = [];
    const make = defineTask({
      id: "make",
      run: async (_: void, ctx) => {
        const token = await ctx.createToken("t");
        urls.push(token.url);
        return token.id;
      },
    });
    const engine = engineWith([make], { dashboardUrl: "https://ops.example.com/errand/" });
    await engine.worker({ pollIntervalMs: 20 }).start();
    const id = (await engine.runs.wait(await engine.trigger(make, undefined), { timeoutMs: 10_000 })).unwrap() as string;
    const expected = `https://ops.example.com/errand/api/tokens/${id}/complete`;
    assert.deepEqual(urls, [expected]);
    assert.equal((await engine.tokens.get(id))!.url, expected);
    for (const bad of ["ops.example.com", "ftp://x.example/", "https://x.example/?a=1", "https://u:p@x.example/", 5]) {
      assert.throws(() => createEngine({ store: sqliteStore({ path: ":memory:" }), tasks: [], dashboardUrl: bad as never }), /createEngine: option `dashboardUrl`/);
    }
  });

  it("bad input: unknown or malformed ids are not found; unstorable data, bad options and foreign tokens are errors", { timeout: 30_000 }, async () => {
    const badOptions = defineTask({ id: "bad-options", run: async (_: void, ctx) => ctx.createToken("t", { timeout: -1 }) });
    const unknownOption = defineTask({ id: "unknown-option", run: async (_: void, ctx) => ctx.createToken("t", { timeoutMs: 5 } as never) });
    const foreign = defineTask({ id: "foreign", run: async (p: { id: string }, ctx) => ctx.waitForToken(p.id) });
    const garbage = defineTask({ id: "garbage", run: async (_: void, ctx) => ctx.waitForToken("not a token") });
    const approval = approvalTask("owner", []);
    const engine = engineWith([badOptions, unknownOption, foreign, garbage, approval]);
    const unknown = await engine.tokens.complete("wpt_" + "A".repeat(32), 1);
    assert.deepEqual([unknown.completed, !unknown.completed && unknown.reason, unknown.token], [false, "notFound", null]);
    assert.deepEqual((await engine.tokens.complete("nonsense", 1)).completed, false);
    assert.equal(await engine.tokens.get("nonsense"), null);
    await assert.rejects(engine.tokens.complete(42 as never, 1), /engine.tokens.complete: `id`/);
    await assert.rejects(engine.tokens.list({} as never), /engine.tokens.list: option `runId`/);
    await engine.worker({ pollIntervalMs: 20 }).start();
    const owner = await engine.trigger(approval, undefined);
    const token = await waitingFor(engine, owner.id);
    await assert.rejects(engine.tokens.complete(token.id, { n: 1n }), UnstorableValueError);
    assert.equal((await engine.tokens.get(token.id))!.status, "waiting", "refused data completes nothing");
    const started = [
      await engine.trigger(badOptions, undefined),
      await engine.trigger(unknownOption, undefined),
      await engine.trigger(foreign, { id: token.id }),
      await engine.trigger(garbage, undefined),
    ];
    const failures = await Promise.all(started.map((h) => engine.runs.wait(h.id, { timeoutMs: 10_000 })));
    assert.ok(failures.every((r) => !r.ok));
    const messages = failures.map((r) => (r.ok ? "" : r.error.message));
    assert.match(messages[0]!, /ctx.createToken\("t"\): option `timeout`/);
    assert.match(messages[1]!, /unknown option `timeoutMs`/);
    assert.match(messages[2]!, /not created by this run/);
    assert.ok(!messages[2]!.includes(token.id), "the id is not repeated in the error");
    assert.match(messages[3]!, /ctx.waitForToken: expected a token/);
    assert.equal((await engine.tokens.get(token.id))!.status, "waiting");
  });
});
