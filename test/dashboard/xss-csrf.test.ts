import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { escapeHtml } from "../../src/dashboard/html.ts";
import { createFixture, XSS, type Fixture } from "./fixture.ts";
import { cookieOf, csrfOf, get, postForm, postJson } from "./helpers.ts";

/** No markup from user data survives: the only script element is the dashboard's own. */
function assertInert(page: string, where: string): void {
  const scripts = page.match(/<script\b/gi) ?? [];
  assert.equal(scripts.length, 1, `${where}: exactly one <script> (the app's own)`);
  assert.match(page, /<script src="[^"]*\/assets\/app\.js" defer><\/script>/);
  assert.ok(!/<img\b/i.test(page), `${where}: an <img> tag leaked`);
  // A tag whose (well-quoted) attributes include an event handler; escaped text inside values does not count.
  assert.ok(!/<[a-z]+(?:\s+[a-z-]+(?:=(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*\s+on[a-z]+=/i.test(page), `${where}: an event-handler attribute leaked`);
}

describe("dashboard XSS", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine });
  });
  after(async () => fx.close());

  it("renders a payload and an error containing HTML and script as text", async () => {
    const res = await get(d, `/runs/${fx.explodeId}`);
    assert.equal(res.status, 200);
    const page = await res.text();
    assertInert(page, "run detail");
    const escaped = escapeHtml(XSS);
    assert.ok(page.includes(escapeHtml(JSON.stringify(XSS).slice(1, -1))) || page.includes(escaped), "payload shown escaped");
    assert.ok(page.includes(`boom ${escaped}`), "error message shown escaped");
    assert.ok(page.includes("about to fail"), "logs shown");
  });

  it("keeps list, live fragment, task and API answers inert", async () => {
    for (const path of ["/runs", "/runs?tag=xss", "/", "/tasks", "/tasks/explode"]) {
      assertInert(await (await get(d, path)).text(), path);
    }
    const live = await (await get(d, `/runs/${fx.explodeId}`, { "X-Errand-Live": "1" })).text();
    assert.ok(!/<script\b/i.test(live) && !/<img\b/i.test(live), "live fragment");
    const api = await get(d, `/api/runs/${fx.explodeId}`);
    assert.match(api.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await api.json()) as { run: { payload: { note: string }; error: { message: string } } };
    assert.equal(body.run.payload.note, XSS, "the API returns the data itself, as JSON");
  });

  it("escapes reflected query text and user input in the filter form", async () => {
    const page = await (await get(d, `/runs?tag=${encodeURIComponent('"><script>alert(1)</script>')}`)).text();
    assertInert(page, "filter form");
    assert.ok(page.includes("&quot;&gt;&lt;script&gt;"));
  });
});

describe("dashboard CSRF", () => {
  let fx: Fixture;
  let d: Dashboard;
  let cookie: string;
  let csrf: string;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine });
    const first = await get(d, `/runs/${fx.explodeId}`);
    cookie = cookieOf(first);
    csrf = csrfOf(await first.text());
  });
  after(async () => fx.close());

  async function runCount(): Promise<number> {
    return (await fx.engine.runs.list({ taskId: "explode", limit: 100 })).runs.length;
  }

  it("rejects state-changing requests without a valid token or from another origin", async () => {
    const path = `/runs/${fx.explodeId}/replay`;
    const start = await runCount();
    const refused: [string, Record<string, string>, Record<string, string>][] = [
      ["no cookie, no token", {}, {}],
      ["no token", { Cookie: cookie }, {}],
      ["wrong token", { Cookie: cookie }, { _csrf: "AAAA" + csrf.slice(4) }],
      ["token of another session", { Cookie: "errand_session=x.y" }, { _csrf: csrf }],
      ["cross origin", { Cookie: cookie, Origin: "http://evil.test" }, { _csrf: csrf }],
      ["cross site", { Cookie: cookie, "Sec-Fetch-Site": "cross-site" }, { _csrf: csrf }],
    ];
    for (const [what, headers, fields] of refused) {
      const res = await postForm(d, path, fields, headers);
      assert.equal(res.status, 403, what);
    }
    const api = await postJson(d, `/api/runs/${fx.explodeId}/replay`, {}, { Cookie: cookie });
    assert.equal(api.status, 403, "API POST with the cookie but without X-CSRF-Token");
    const trig = await postForm(d, "/tasks/greet/trigger", { payload: `{"name":"x"}` }, { Cookie: cookie });
    assert.equal(trig.status, 403, "trigger without token");
    assert.equal(await runCount(), start, "nothing was replayed");
  });

  it("accepts the session's token from the same origin", async () => {
    const start = await runCount();
    const res = await postForm(d, `/runs/${fx.explodeId}/replay`, { _csrf: csrf }, { Cookie: cookie, Origin: "http://dash.test", "Sec-Fetch-Site": "same-origin" });
    assert.equal(res.status, 303);
    const location = res.headers.get("location") ?? "";
    assert.match(location, /^\/runs\/[0-9a-f-]+\?notice=replayed$/);
    assert.equal(await runCount(), start + 1);
    const api = await postJson(d, `/api/runs/${fx.explodeId}/replay`, {}, { Cookie: cookie, "X-CSRF-Token": csrf });
    assert.equal(api.status, 201);
    assert.equal(await runCount(), start + 2);
  });
});
