import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { createFixture, type Fixture } from "./fixture.ts";
import { cookieOf, get, postForm, postJson } from "./helpers.ts";

const TOKEN = "s3cret-token-for-tests";

describe("dashboard auth", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
  });
  after(async () => fx.close());

  const gets = () => [
    "/", "/runs", "/runs?status=failed", `/runs/${fx.explodeId}`, "/runs/unknown-id", "/tasks", "/tasks/greet", "/schedules",
    "/assets/app.js", "/nope", "/api/stats", "/api/metrics", "/api/runs", `/api/runs/${fx.greetId}`, "/api/tasks", "/api/schedules", "/api/nope",
  ];
  const posts = () => [
    `/runs/${fx.explodeId}/cancel`, `/runs/${fx.explodeId}/replay`, "/tasks/greet/trigger", "/logout",
    `/api/runs/${fx.explodeId}/cancel`, `/api/runs/${fx.explodeId}/replay`, "/api/tasks/greet/trigger",
  ];

  it("answers 401 to every page and API route without the token (429 once wrong tokens pile up), and changes nothing", async () => {
    // Its own instance: the wrong Bearer tokens below put this client into the login backoff.
    const probe = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
    const before = await fx.engine.runs.list({ limit: 100 });
    const statuses = new Set<number>();
    for (const path of gets()) {
      for (const headers of [{}, { Authorization: "Bearer wrong-token-xyz" }, { Cookie: "errand_session=forged.mac" }]) {
        const res = await get(probe, path, headers);
        const expected = "Authorization" in headers ? [401, 429] : [401];
        assert.ok(expected.includes(res.status), `GET ${path} ${JSON.stringify(headers)}: ${res.status}`);
        statuses.add(res.status);
        const text = await res.text();
        assert.ok(!text.includes(fx.explodeId) && !text.includes("ada"), `GET ${path} leaks data`);
      }
    }
    for (const path of posts()) {
      assert.equal((await postForm(probe, path, { payload: "{}" })).status, 401, `POST ${path}`);
      assert.equal((await postJson(probe, path, {}, { Authorization: "Bearer nope-nope-nope" })).status, 429, `POST ${path} (bearer, after many wrong tokens)`);
    }
    assert.ok(statuses.has(401) && statuses.has(429));
    const afterList = await fx.engine.runs.list({ limit: 100 });
    assert.equal(afterList.runs.length, before.runs.length);
  });

  it("serves every page and API route with the Bearer token", async () => {
    for (const path of gets()) {
      const res = await get(d, path, { Authorization: `Bearer ${TOKEN}` });
      const expected = path.includes("nope") || path.includes("unknown-id") ? 404 : 200;
      assert.equal(res.status, expected, `GET ${path}`);
    }
    const res = await get(d, `/api/runs/${fx.greetId}`, { Authorization: `Bearer ${TOKEN}` });
    const body = (await res.json()) as { run: { id: string; status: string } };
    assert.equal(body.run.id, fx.greetId);
    assert.equal(body.run.status, "completed");
  });

  it("logs in with a POSTed form into an HttpOnly SameSite=Strict cookie (no token in URLs)", async () => {
    const form = await (await get(d, "/runs")).text();
    assert.match(form, /<form method="post" action="\/login">/);
    const wrong = await postForm(d, "/login", { token: "not-the-token" }, { Origin: "http://dash.test" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);
    const ok = await postForm(d, "/login", { token: TOKEN }, { Origin: "http://dash.test" });
    assert.equal(ok.status, 303);
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(!setCookie.includes(TOKEN), "the cookie must not carry the token itself");
    assert.ok(!(ok.headers.get("location") ?? "").includes(TOKEN));
    const page = await get(d, "/runs", { Cookie: cookieOf(ok) });
    assert.equal(page.status, 200);
    assert.ok((await page.text()).includes(fx.explodeId.slice(0, 8)));
  });

  it("refuses a cross-origin login", async () => {
    const res = await postForm(d, "/login", { token: TOKEN }, { Origin: "http://evil.test" });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("set-cookie"), null);
  });

  it("sends security headers on every answer", async () => {
    for (const res of [await get(d, "/runs"), await get(d, "/runs", { Authorization: `Bearer ${TOKEN}` }), await get(d, "/api/runs", { Authorization: `Bearer ${TOKEN}` })]) {
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.ok(!csp.includes("unsafe-inline"), csp);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("x-frame-options"), "DENY");
    }
  });
});
