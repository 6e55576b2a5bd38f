/**
 * Issue 15 in the dashboard: the token-completion route (no dashboard token: the id is the
 * credential; cross-site refused; body capped; first completion wins; unknown ids count towards the
 * backoff), a waiting run's tokens with their callback URL and a complete form, and the events tasks
 * listen to and runs were started by.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEngine, defineTask, type Engine } from "../../src/index.ts";
import { sqliteStore } from "../../src/sqlite/index.ts";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { tempDb, until } from "../support/temp.ts";
import { cookieOf, csrfOf, get, ORIGIN, postForm, postJson } from "./helpers.ts";

const TOKEN = "tokens-test-dashboard-token";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

const approval = defineTask({
  id: "approval",
  run: async (p: { timeoutMs?: number }, ctx) => {
    const token = await ctx.createToken("approve", p.timeoutMs === undefined ? undefined : { timeout: p.timeoutMs });
    return ctx.waitForToken(token);
  },
});
const invoice = defineTask({ id: "invoice", on: ["order.paid", "order.fixed"], run: async (p: { orderId: string }) => p.orderId });

describe("dashboard: waitpoint tokens and events", () => {
  let engine: Engine;
  let d: Dashboard;
  before(async () => {
    engine = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [approval, invoice] });
    await engine.worker({ pollIntervalMs: 20 }).start();
    d = createDashboard({ engine, auth: { token: TOKEN }, basePath: "/ops" });
  });
  after(async () => engine.close());

  /** Starts an approval run and returns it with its waiting token's id. */
  async function waitingApproval(payload: { timeoutMs?: number } = {}): Promise<{ runId: string; tokenId: string }> {
    const run = await engine.trigger(approval, payload);
    await until(async () => (await engine.runs.get(run.id))?.status === "waiting", "the run waits for its token");
    const [token] = await engine.tokens.list({ runId: run.id });
    return { runId: run.id, tokenId: token!.id };
  }
  const complete = (id: string, body: unknown, headers: Record<string, string> = {}) => postJson(d, `/ops/api/tokens/${id}/complete`, body, headers);

  it("completes a token with the JSON body, without the dashboard token; the second completion is reported", { timeout: 30_000 }, async () => {
    const { runId, tokenId } = await waitingApproval();
    const first = await complete(tokenId, { approved: true, by: "ops" });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { completed: true });
    const result = await engine.runs.wait(runId, { timeoutMs: 10_000 });
    assert.deepEqual(result.unwrap(), { ok: true, output: { approved: true, by: "ops" } });
    const second = await complete(tokenId, { approved: false });
    assert.equal(second.status, 409);
    const body = (await second.json()) as { completed: boolean; reason: string; error: string };
    assert.deepEqual([body.completed, body.reason], [false, "alreadyCompleted"]);
    assert.ok(!JSON.stringify(body).includes(runId), "the answer tells the caller nothing about the run");
    assert.deepEqual((await engine.tokens.get(tokenId))!.output, { approved: true, by: "ops" });
  });

  it("an empty body completes with null; an expired token is refused", { timeout: 30_000 }, async () => {
    const a = await waitingApproval();
    const empty = await d.fetch(new Request(`${ORIGIN}/ops/api/tokens/${a.tokenId}/complete`, { method: "POST" }));
    assert.equal(empty.status, 200);
    assert.deepEqual((await engine.runs.wait(a.runId, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: null });
    const b = await waitingApproval({ timeoutMs: 200 });
    await engine.runs.wait(b.runId, { timeoutMs: 10_000 });
    const late = await complete(b.tokenId, { approved: true });
    assert.equal(late.status, 409);
    assert.equal(((await late.json()) as { reason: string }).reason, "expired");
  });

  it("refuses cross-site posts, other methods, form and oversized or broken bodies, and completes nothing", { timeout: 30_000 }, async () => {
    const { tokenId } = await waitingApproval();
    const path = `/ops/api/tokens/${tokenId}/complete`;
    assert.equal((await complete(tokenId, {}, { Origin: "https://evil.example" })).status, 403);
    assert.equal((await complete(tokenId, {}, { "Sec-Fetch-Site": "cross-site" })).status, 403);
    assert.equal((await postForm(d, path, { approved: "true" })).status, 415);
    assert.equal((await get(d, path)).status, 405);
    const huge = await d.fetch(new Request(ORIGIN + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: `"${"x".repeat(1_100_000)}"` }));
    assert.equal(huge.status, 413);
    const broken = await d.fetch(new Request(ORIGIN + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{nope" }));
    assert.equal(broken.status, 400);
    assert.equal((await engine.tokens.get(tokenId))!.status, "waiting");
    assert.equal((await complete(tokenId, { ok: 1 }, { Origin: ORIGIN })).status, 200, "a same-origin post (the dashboard's own page) is fine");
  });

  it("unknown ids are 404 and count towards the client's backoff (then 429)", async () => {
    const probe = createDashboard({ engine, auth: { token: TOKEN } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const id = i % 2 === 0 ? `wpt_${"Z".repeat(31)}${i}` : "not-a-token";
      statuses.push((await postJson(probe, `/api/tokens/${id}/complete`, {})).status);
    }
    assert.equal(statuses[0], 404);
    assert.ok(statuses.includes(429), `the backoff starts (${statuses.join(", ")})`);
  });

  it("shows a waiting run's tokens with their callback URL and a form that completes them", { timeout: 30_000 }, async () => {
    const { runId, tokenId } = await waitingApproval();
    const page = await (await get(d, `/ops/runs/${runId}`, AUTH)).text();
    assert.match(page, /<h2>Waitpoint tokens<\/h2>/);
    assert.ok(page.includes(`${ORIGIN}/ops/api/tokens/${tokenId}/complete`), "the callback URL uses the dashboard's public address and base path");
    assert.ok(page.includes(`action="/ops/runs/${runId}/tokens/${tokenId}/complete"`));
    const api = (await (await get(d, `/ops/api/runs/${runId}`, AUTH)).json()) as { tokens: { id: string; status: string }[] };
    assert.deepEqual(api.tokens.map((t) => [t.id, t.status]), [[tokenId, "waiting"]]);

    const cookie = cookieOf(await postForm(d, "/ops/login", { token: TOKEN }));
    const csrf = csrfOf(await (await get(d, `/ops/runs/${runId}`, { Cookie: cookie })).text());
    const bad = await postForm(d, `/ops/runs/${runId}/tokens/${tokenId}/complete`, { _csrf: csrf, data: "{not json" }, { Cookie: cookie, Origin: ORIGIN });
    assert.equal(bad.headers.get("location"), `/ops/runs/${runId}?notice=token-bad-json`);
    assert.equal((await engine.tokens.get(tokenId))!.status, "waiting");
    const noCsrf = await postForm(d, `/ops/runs/${runId}/tokens/${tokenId}/complete`, { data: "{}" }, { Cookie: cookie });
    assert.equal(noCsrf.status, 403);
    const ok = await postForm(d, `/ops/runs/${runId}/tokens/${tokenId}/complete`, { _csrf: csrf, data: '{"approved":"from the form"}' }, { Cookie: cookie, Origin: ORIGIN });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), `/ops/runs/${runId}?notice=token-completed`);
    assert.deepEqual((await engine.runs.wait(runId, { timeoutMs: 10_000 })).unwrap(), { ok: true, output: { approved: "from the form" } });
    const after = await (await get(d, `/ops/runs/${runId}?notice=token-completed`, AUTH)).text();
    assert.match(after, /Waitpoint token completed/);
    assert.ok(!after.includes(`/tokens/${tokenId}/complete"`), "no form for a completed token");
    const other = await postForm(d, `/ops/runs/${runId}/tokens/wpt_${"Q".repeat(32)}/complete`, { _csrf: csrf, data: "{}" }, { Cookie: cookie, Origin: ORIGIN });
    assert.equal(other.status, 404);
  });

  it("the engine's dashboardUrl is the callback URL shown", { timeout: 30_000 }, async () => {
    const e = createEngine({ store: sqliteStore({ path: tempDb() }), tasks: [approval], dashboardUrl: "https://ops.example.com/errand" });
    try {
      await e.worker({ pollIntervalMs: 20 }).start();
      const run = await e.trigger(approval, {});
      await until(async () => (await e.runs.get(run.id))?.status === "waiting", "the run waits");
      const [token] = await e.tokens.list({ runId: run.id });
      const page = await (await get(createDashboard({ engine: e, auth: { token: TOKEN } }), `/runs/${run.id}`, AUTH)).text();
      assert.ok(page.includes(`https://ops.example.com/errand/api/tokens/${token!.id}/complete`));
    } finally {
      await e.close();
    }
  });

  it("shows the events each task listens to, and the event that started a run", { timeout: 30_000 }, async () => {
    const tasks = await (await get(d, "/ops/tasks", AUTH)).text();
    assert.match(tasks, /<th>Events<\/th>/);
    assert.match(tasks, /order\.paid, order\.fixed/);
    assert.match(await (await get(d, "/ops/tasks/invoice", AUTH)).text(), /Started by events<\/dt><dd class="mono">order\.paid, order\.fixed/);
    const api = (await (await get(d, "/ops/api/tasks", AUTH)).json()) as { tasks: { id: string; on: string[] }[] };
    assert.deepEqual(api.tasks.map((t) => [t.id, t.on]), [["approval", []], ["invoice", ["order.paid", "order.fixed"]]]);
    const sent = await engine.sendEvent("order.paid", { orderId: "o-9" });
    const runId = sent.runs[0]!.id;
    const page = await (await get(d, `/ops/runs/${runId}`, AUTH)).text();
    assert.ok(page.includes("Started by event") && page.includes(sent.id), "the run detail names its event");
    const detail = (await (await get(d, `/ops/api/runs/${runId}`, AUTH)).json()) as { run: { event: { id: string; name: string } } };
    assert.deepEqual(detail.run.event, { id: sent.id, name: "order.paid" });
  });
});
