/** Issue 15 on the command line: `errand tasks` shows events, `errand events send`, `errand tokens complete`, `runs show`. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, type Engine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { until } from "../support/temp.ts";
import { createProject, errand } from "./project.ts";

const CONFIG = `
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";

const invoice = defineTask({ id: "invoice", on: ["order.paid", "order.fixed"], run: async (p: { orderId: string }) => p.orderId });
const approval = defineTask({
  id: "approval",
  run: async (_: void, ctx) => ctx.waitForToken(await ctx.createToken("approve")),
});

export default { store: sqliteStore({ path: "errand.db" }), tasks: [invoice, approval] };
`;

// The same approval task, run by a worker in this process on the project's database.
const approval = defineTask({ id: "approval", run: async (_: void, ctx) => ctx.waitForToken(await ctx.createToken("approve")) });

describe("errand events and tokens", () => {
  const project = createProject(CONFIG);
  let engine: Engine | null = null;
  after(async () => engine?.close());

  it("tasks lists the events each task listens to", { timeout: 60_000 }, async () => {
    const text = await errand(project, ["tasks"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /EVENTS/);
    assert.match(text.stdout, /invoice .*order\.paid, order\.fixed/);
    const json = await errand(project, ["tasks", "--json"]);
    assert.deepEqual((JSON.parse(json.stdout) as { id: string; on: string[] }[]).map((t) => [t.id, t.on]), [["invoice", ["order.paid", "order.fixed"]], ["approval", []]]);
  });

  it("events send starts the listeners; the same idempotency key again starts nothing; runs show names the event", { timeout: 60_000 }, async () => {
    const first = await errand(project, ["events", "send", "order.paid", "--orderId", "o-1", "--idempotency-key", "k1", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const sent = JSON.parse(first.stdout) as { id: string; created: boolean; runs: { id: string; taskId: string }[]; woken: number };
    assert.deepEqual([sent.created, sent.runs.map((r) => r.taskId), sent.woken], [true, ["invoice"], 0]);
    const again = await errand(project, ["events", "send", "order.paid", "--payload", '{"orderId":"o-1"}', "--idempotency-key", "k1"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already sent \(idempotency key\).*nothing started or woken/);
    const show = await errand(project, ["runs", "show", sent.runs[0]!.id]);
    assert.match(show.stdout, new RegExp(`event\\s+order\\.paid \\(${sent.id}\\)`));
  });

  it("tokens complete resumes the waiting run; a second completion and unknown ids exit 1", { timeout: 60_000 }, async () => {
    engine = createEngine({ store: sqliteStore({ path: project.db }), tasks: [approval] });
    await engine.worker({ pollIntervalMs: 20 }).start();
    const run = await engine.trigger(approval, undefined);
    await until(async () => (await engine!.runs.get(run.id))?.status === "waiting", "the run waits for its token");
    const [token] = await engine.tokens.list({ runId: run.id });
    const show = await errand(project, ["runs", "show", run.id]);
    assert.match(show.stdout, /waitpoint tokens/);
    assert.ok(show.stdout.includes(token!.id), "runs show gives the id to complete the waiting token with");

    const done = await errand(project, ["tokens", "complete", token!.id, "--approved", "true", "--by", "alice"]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`completed token "approve" of run ${run.id}`));
    assert.deepEqual((await engine.runs.wait(run.id, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: { approved: true, by: "alice" } });

    const twice = await errand(project, ["tokens", "complete", token!.id, "--payload", '{"approved":false}']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /token not completed: it was completed already/);
    const json = await errand(project, ["tokens", "complete", token!.id, "--json"]);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), { completed: false, reason: "alreadyCompleted" });
    const unknown = await errand(project, ["tokens", "complete", "wpt_nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /there is no such token/);
    assert.deepEqual((await engine.tokens.get(token!.id))!.output, { approved: true, by: "alice" });
  });
});

describe("errand.config.ts dashboardUrl", () => {
  const config = (url: string) => `
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
const link = defineTask({ id: "link", run: async (_: void, ctx) => (await ctx.createToken("t")).url ?? null });
export default { store: sqliteStore({ path: "errand.db" }), tasks: [link], dashboardUrl: ${JSON.stringify(url)} };
`;

  it("gives the tokens of runs made by the CLI a callback url; a bad one is one clear error", { timeout: 60_000 }, async () => {
    const good = await errand(createProject(config("https://ops.example.com/errand/")), ["run", "link"]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(JSON.parse(good.stdout) as string, /^https:\/\/ops\.example\.com\/errand\/api\/tokens\/wpt_[A-Za-z0-9_-]{32}\/complete$/);
    const bad = await errand(createProject(config("ops.example.com")), ["tasks"]);
    assert.equal(bad.code, 0, "commands that open no engine do not check it");
    const run = await errand(createProject(config("ops.example.com")), ["run", "link"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /option `dashboardUrl` must be an absolute URL/);
  });
});
