import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, serveDashboard, toNodeHandler, type Dashboard } from "../../src/dashboard/index.ts";
import { createFixture, type Fixture } from "./fixture.ts";
import { cookieOf, csrfOf, get, postForm, postJson } from "./helpers.ts";

const TOKEN = "pages-test-token";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

describe("dashboard pages, actions and API", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
  });
  after(async () => fx.close());

  it("shows counts, charts and queues on the overview", async () => {
    const page = await (await get(d, "/", AUTH)).text();
    assert.match(page, /<svg class="chart"[^>]*aria-label="Runs finished per minute"/);
    assert.match(page, /<svg class="chart"[^>]*aria-label="Run durations per minute"/);
    assert.match(page, /href="\/runs\?status=failed"><div class="n">1<\/div>/);
    assert.match(page, /href="\/runs\?status=completed"><div class="n">1<\/div>/);
  });

  it("filters runs by status, task and tag and searches by id prefix", async () => {
    const failed = await (await get(d, "/runs?status=failed", AUTH)).text();
    assert.ok(failed.includes(`data-run-id="${fx.explodeId}"`) && !failed.includes(`data-run-id="${fx.greetId}"`));
    const byTask = await (await get(d, "/runs?task=greet", AUTH)).text();
    assert.ok(byTask.includes(`data-run-id="${fx.greetId}"`) && !byTask.includes(`data-run-id="${fx.explodeId}"`));
    const byTag = await (await get(d, "/runs?tag=team:core", AUTH)).text();
    assert.ok(byTag.includes(`data-run-id="${fx.greetId}"`) && !byTag.includes(`data-run-id="${fx.explodeId}"`));
    const byId = (await (await get(d, `/api/runs?q=${fx.explodeId.slice(0, 30)}`, AUTH)).json()) as { runs: { id: string }[] };
    assert.deepEqual(byId.runs.map((r) => r.id), [fx.explodeId]);
    const bad = await get(d, "/runs?status=bogus", AUTH);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /unknown status &quot;bogus&quot;/);
    assert.equal((await get(d, "/api/runs?limit=0", AUTH)).status, 400);
  });

  it("pages with a keyset cursor, each run once", async () => {
    for (let i = 0; i < 5; i++) await fx.engine.trigger("greet", { name: `p${i}` }, { tags: ["paging"] });
    const seen: string[] = [];
    let url: string | null = "/api/runs?tag=paging&limit=2";
    let pages = 0;
    while (url !== null) {
      const body = (await (await get(d, url, AUTH)).json()) as { runs: { id: string }[]; nextCursor: string | null };
      seen.push(...body.runs.map((r) => r.id));
      url = body.nextCursor === null ? null : `/api/runs?tag=paging&limit=2&cursor=${encodeURIComponent(body.nextCursor)}`;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 5);
    assert.deepEqual(seen, [...seen].sort().reverse(), "newest first");
    const html = await (await get(d, "/runs?tag=paging&limit=2", AUTH)).text();
    assert.match(html, /rel="next" href="\/runs\?tag=paging&amp;limit=2&amp;cursor=/);
  });

  it("shows a run's steps, logs, error and attempts", async () => {
    const page = await (await get(d, `/runs/${fx.greetId}`, AUTH)).text();
    for (const text of ["shout", "wrap", "greeting", "hello ADA", 'aria-label="Step timeline"', "1 of 3"]) {
      assert.ok(page.includes(text), `run page shows ${text}`);
    }
    const failed = await (await get(d, `/runs/${fx.explodeId}`, AUTH)).text();
    assert.ok(failed.includes("prepare") && failed.includes("about to fail") && failed.includes("1 of 1"));
    assert.match(failed, /<pre class="err"><strong>Error: boom/);
  });

  it("live fragments carry an ETag, answer 304 when unchanged and change with the data", async () => {
    const first = await get(d, "/runs?task=typed", { ...AUTH, "X-Errand-Live": "1" });
    assert.equal(first.status, 200);
    const etag = first.headers.get("etag") ?? "";
    assert.match(etag, /^W\/"/);
    assert.ok(!(await first.text()).includes("<html"), "a fragment, not a page");
    const again = await get(d, "/runs?task=typed", { ...AUTH, "X-Errand-Live": "1", "If-None-Match": etag });
    assert.equal(again.status, 304);
    await fx.engine.trigger("typed", { count: 2 });
    const changed = await get(d, "/runs?task=typed", { ...AUTH, "X-Errand-Live": "1", "If-None-Match": etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
    const api = await get(d, "/api/stats", AUTH);
    assert.equal((await get(d, "/api/stats", { ...AUTH, "If-None-Match": api.headers.get("etag") ?? "" })).status, 304);
  });

  it("triggers a task from the form, showing schema and JSON errors", async () => {
    const login = await postForm(d, "/login", { token: TOKEN });
    const cookie = cookieOf(login);
    const csrf = csrfOf(await (await get(d, "/tasks/typed", { Cookie: cookie })).text());
    const h = { Cookie: cookie, Origin: "http://dash.test" };
    const notJson = await postForm(d, "/tasks/typed/trigger", { _csrf: csrf, payload: "{count:", tags: "" }, h);
    assert.equal(notJson.status, 422);
    assert.match(await notJson.text(), /Payload is not valid JSON/);
    const invalid = await postForm(d, "/tasks/typed/trigger", { _csrf: csrf, payload: `{"count": 0}`, tags: "" }, h);
    assert.equal(invalid.status, 422);
    const text = await invalid.text();
    assert.match(text, /<ul class="trigger-errors"><li>count: /);
    assert.ok(text.includes("{&quot;count&quot;: 0}"), "the form keeps what was typed");
    const before = (await fx.engine.runs.list({ taskId: "typed", limit: 100 })).runs.length;
    const ok = await postForm(d, "/tasks/typed/trigger", { _csrf: csrf, payload: `{"count": 4}`, tags: "a, b" }, h);
    assert.equal(ok.status, 303);
    const id = /\/runs\/([^?]+)\?notice=triggered$/.exec(ok.headers.get("location") ?? "")?.[1];
    assert.ok(id);
    const run = await fx.engine.runs.get(id);
    assert.deepEqual(run?.payload, { count: 4 });
    assert.deepEqual(run?.tags, ["a", "b"]);
    assert.equal((await fx.engine.runs.list({ taskId: "typed", limit: 100 })).runs.length, before + 1);
  });

  it("cancels a queued run from its page, once", async () => {
    const cookie = cookieOf(await postForm(d, "/login", { token: TOKEN }));
    const { id } = await fx.engine.trigger("typed", { count: 3 });
    const page = await (await get(d, `/runs/${id}`, { Cookie: cookie })).text();
    assert.match(page, /data-confirm="Cancel this run\?"/);
    const csrf = csrfOf(page);
    const first = await postForm(d, `/runs/${id}/cancel`, { _csrf: csrf }, { Cookie: cookie });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), `/runs/${id}?notice=canceled`);
    assert.equal((await fx.engine.runs.get(id))?.status, "canceled");
    const shown = await (await get(d, `/runs/${id}?notice=canceled`, { Cookie: cookie })).text();
    assert.match(shown, /Run canceled\./);
    assert.ok(!shown.includes("Cancel run"), "no cancel button on a finished run");
    const second = await postForm(d, `/runs/${id}/cancel`, { _csrf: csrf }, { Cookie: cookie });
    assert.equal(second.headers.get("location"), `/runs/${id}?notice=not-canceled`);
  });

  it("API: trigger validates with the schema; cancel and replay", async () => {
    const bad = await postJson(d, "/api/tasks/typed/trigger", { payload: { count: "x" } }, AUTH);
    assert.equal(bad.status, 422);
    const body = (await bad.json()) as { issues: string[] };
    assert.ok(body.issues.some((i) => i.startsWith("count: ")));
    assert.equal((await postJson(d, "/api/tasks/missing/trigger", { payload: {} }, AUTH)).status, 404);
    assert.equal((await postForm(d, "/api/tasks/typed/trigger", { payload: "1" }, AUTH)).status, 415);
    const notJson = await d.fetch(new Request("http://dash.test/api/tasks/typed/trigger", { method: "POST", headers: { ...AUTH, "Content-Type": "application/json" }, body: "{oops" }));
    assert.equal(notJson.status, 400);
    assert.equal((await d.fetch(new Request("http://dash.test/api/runs", { method: "DELETE", headers: AUTH }))).status, 405);
    const created = await postJson(d, "/api/tasks/typed/trigger", { payload: { count: 1 }, tags: ["api"] }, AUTH);
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const cancel = await postJson(d, `/api/runs/${id}/cancel`, {}, AUTH);
    assert.deepEqual(await cancel.json(), { canceled: true });
    assert.equal((await fx.engine.runs.get(id))?.status, "canceled");
    const replay = await postJson(d, `/api/runs/${id}/replay`, {}, AUTH);
    assert.equal(replay.status, 201);
    const again = (await replay.json()) as { id: string };
    assert.notEqual(again.id, id);
    assert.deepEqual((await fx.engine.runs.get(again.id))?.payload, { count: 1 });
  });

  it("mounts under a basePath; the Node adapter and the standalone server serve it", async () => {
    const mounted = createDashboard({ engine: fx.engine, basePath: "/admin/errand/" });
    const page = await get(mounted, "/admin/errand/runs");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /href="\/admin\/errand\/runs\/[0-9a-f-]+"/);
    assert.equal((await get(mounted, "/runs")).status, 404);

    const server = createServer(toNodeHandler(mounted));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/admin/errand/api/runs?status=failed`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { runs: { id: string }[] };
      assert.ok(body.runs.some((r) => r.id === fx.explodeId));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }

    const warnings: string[] = [];
    const srv = await serveDashboard({ engine: fx.engine, port: 0, token: TOKEN, warn: (m) => warnings.push(m) });
    try {
      assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await fetch(srv.url)).status, 401);
      assert.equal((await fetch(srv.url + "api/stats", { headers: AUTH })).status, 200);
      const rebound = await new Promise<number>((resolve, reject) => {
        request(srv.url + "api/stats", { headers: { ...AUTH, Host: `evil.test:${srv.port}` } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); })
          .on("error", reject).end();
      });
      assert.equal(rebound, 403, "a foreign Host header (DNS rebinding) is refused on a loopback server");
      assert.equal(warnings.length, 0);
    } finally {
      await srv.close();
    }
    const open = await serveDashboard({ engine: fx.engine, port: 0, host: "0.0.0.0", warn: (m) => warnings.push(m) });
    await open.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /without a token/);
  });

  it("rejects bad options with TypeErrors naming the option", async () => {
    assert.throws(() => createDashboard({ engine: {} as never }), /`engine`/);
    assert.throws(() => createDashboard({ engine: fx.engine, basePath: "admin" }), /`basePath`/);
    assert.throws(() => createDashboard({ engine: fx.engine, auth: { token: "short" } }), /`auth.token`/);
    assert.throws(() => createDashboard({ engine: fx.engine, liveIntervalMs: 5 }), /`liveIntervalMs`/);
    assert.throws(() => createDashboard({ engine: fx.engine, allowedHosts: [""] }), /`allowedHosts`/);
    await assert.rejects(() => serveDashboard({ engine: fx.engine, port: 70000 }), /`port`/);
  });
});
