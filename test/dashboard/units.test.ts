import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, html, jsonForScript, raw } from "../../src/dashboard/html.ts";
import { filterQuery, parseRunFilters } from "../../src/dashboard/filters.ts";
import { createSecurity, SESSION_TTL_MS } from "../../src/dashboard/security.ts";
import { fillBuckets, throughputChart } from "../../src/dashboard/charts.ts";
import { isLoopback } from "../../src/dashboard/serve.ts";

describe("dashboard escaping", () => {
  it("escapes every interpolation through one helper", () => {
    assert.equal(String(html`<p title="${`"x'`}">${"<b>&</b>"}</p>`), `<p title="&quot;x&#39;">&lt;b&gt;&amp;&lt;/b&gt;</p>`);
    assert.equal(String(html`${[html`<i>`, "<u>", null, false, 3]}`), "<i>&lt;u&gt;3");
    assert.equal(String(html`${raw("<br>")}`), "<br>");
    assert.equal(escapeHtml("`a`"), "&#96;a&#96;");
  });

  it("encodes JSON for script blocks so it cannot close the element", () => {
    const value = { s: "</script><!--\u2028&" };
    const encoded = String(jsonForScript(value));
    assert.ok(!/[<>&\u2028]/.test(encoded), encoded);
    assert.deepEqual(JSON.parse(encoded), value);
  });
});

describe("dashboard run filters", () => {
  it("parses and round-trips filters", () => {
    const parsed = parseRunFilters(new URLSearchParams("status=failed&task=a%20b&tag=t:1&q=01AB&limit=20&cursor=c1"));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.filters, { status: ["failed"], task: "a b", tag: "t:1", q: "01ab", cursor: "c1", limit: 20 });
    assert.equal(filterQuery(parsed.filters), "?status=failed&task=a+b&tag=t%3A1&q=01ab&limit=20");
    const several = parseRunFilters(new URLSearchParams("status=queued,delayed,queued"));
    assert.ok(several.ok);
    assert.deepEqual(several.filters.status, ["queued", "delayed"]);
    assert.equal(filterQuery(several.filters), "?status=queued%2Cdelayed");
    assert.equal(filterQuery(parsed.filters, "next"), "?status=failed&task=a+b&tag=t%3A1&q=01ab&limit=20&cursor=next");
  });

  it("names what is wrong with bad filters", () => {
    const cases: [string, RegExp][] = [
      ["status=done", /unknown status "done"/],
      ["status=queued,nope", /unknown status "nope"/],
      ["limit=0", /"limit" must be an integer from 1 to 500/],
      ["limit=1.5", /"limit"/],
      ["q=%3Cscript%3E", /"q" must be the start of a run id/],
      [`tag=${"x".repeat(201)}`, /"tag" is longer than 200/],
    ];
    for (const [query, message] of cases) {
      const parsed = parseRunFilters(new URLSearchParams(query));
      assert.equal(parsed.ok, false, query);
      if (!parsed.ok) assert.match(parsed.error, message);
    }
  });
});

describe("dashboard sessions and CSRF tokens", () => {
  const req = (headers: Record<string, string> = {}) => new Request("http://h.test/runs", { headers });
  const TOKEN = "the-token-123-456";

  it("issues signed sessions without auth and checks their CSRF token", async () => {
    const s = createSecurity({ token: null, basePath: "" });
    const first = await s.authenticate(req());
    assert.ok(first.ok && first.setCookie !== null && first.session !== null);
    const cookie = first.setCookie.split(";")[0]!;
    const again = await s.authenticate(req({ cookie }));
    assert.ok(again.ok && again.session?.id === first.session.id && again.setCookie === null);
    const token = s.csrfToken(first.session);
    assert.equal(s.checkCsrfToken(again, token), null);
    assert.match(s.checkCsrfToken(again, token.slice(1)) ?? "", /CSRF/);
    assert.match(s.checkSite(req({ cookie, origin: "http://evil.test" })) ?? "", /cross-origin/);
    assert.equal(s.checkSite(req({ cookie, origin: "http://h.test", "sec-fetch-site": "same-origin" })), null);
    const other = createSecurity({ token: null, basePath: "" });
    const foreign = await other.authenticate(req({ cookie }));
    assert.ok(foreign.ok && foreign.setCookie !== null, "without a token, a cookie signed by another instance is not accepted");
  });

  it("with a token: only Bearer or a login cookie authenticate", async () => {
    const s = createSecurity({ token: TOKEN, basePath: "/x" });
    assert.equal((await s.authenticate(req())).ok, false);
    assert.equal((await s.authenticate(req({ authorization: `Bearer ${TOKEN}7` }))).ok, false);
    assert.equal((await s.authenticate(req({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }))).ok, false);
    const bearer = await s.authenticate(req({ authorization: `Bearer ${TOKEN}` }));
    assert.ok(bearer.ok && bearer.via === "bearer");
    assert.equal(s.checkCsrfToken(bearer, null), null, "Bearer requests need no CSRF token");
    assert.match(s.checkSite(req({ authorization: `Bearer ${TOKEN}`, "sec-fetch-site": "cross-site" })) ?? "", /cross-site/, "but are not exempt from the site check");
    assert.equal(s.login(req(), "wrong"), null);
    const set = s.login(req(), TOKEN);
    assert.ok(set !== null);
    assert.match(set, /; Path=\/x; HttpOnly; SameSite=Strict$/);
    assert.match(s.login(new Request("https://h.test/login"), TOKEN) ?? "", /; Secure$/, "Secure over https");
    const viaCookie = await s.authenticate(req({ cookie: set.split(";")[0]! }));
    assert.ok(viaCookie.ok && viaCookie.via === "cookie");
    assert.match(s.checkCsrfToken(viaCookie, null) ?? "", /CSRF/);
    assert.match(await s.logout(viaCookie), /Max-Age=0/);
    assert.equal((await s.authenticate(req({ cookie: set.split(";")[0]! }))).ok, false, "a logged-out session is refused");
    const [name, value] = set.split(";")[0]!.split("=") as [string, string];
    const [sid, , sig] = value.split(".");
    const old = (Date.now() - 13 * 3600_000).toString(36);
    assert.equal((await s.authenticate(req({ cookie: `${name}=${sid}.${old}.${sig}` }))).ok, false, "a tampered issue time is refused");
  });

  it("expires sessions after their TTL", async () => {
    let clock = 1_000_000;
    const s = createSecurity({ token: TOKEN, basePath: "", now: () => clock });
    const cookie = s.login(req(), TOKEN)!.split(";")[0]!;
    clock += SESSION_TTL_MS - 1;
    assert.equal((await s.authenticate(req({ cookie }))).ok, true);
    clock += 2;
    assert.equal((await s.authenticate(req({ cookie }))).ok, false);
  });
});

describe("dashboard charts", () => {
  it("fills empty minutes and draws one bar group per bucket", () => {
    const since = 1_000_000 * 60_000;
    const slots = fillBuckets([{ at: since + 120_000, completed: 3, failed: 1, avgDurationMs: 10, maxDurationMs: 20 }], since, 60_000, 5);
    assert.deepEqual(slots.map((b) => b.completed), [0, 0, 3, 0, 0]);
    const merged = fillBuckets([
      { at: since + 60_005, completed: 1, failed: 0, avgDurationMs: 10, maxDurationMs: 10 },
      { at: since + 60_900, completed: 0, failed: 3, avgDurationMs: 30, maxDurationMs: 50 },
    ], since, 60_000, 3);
    assert.deepEqual(merged[1], { at: since + 60_000, completed: 1, failed: 3, avgDurationMs: 25, maxDurationMs: 50 });
    const svg = String(throughputChart(slots));
    assert.equal(svg.match(/<g><title>/g)?.length, 5);
    assert.ok(svg.includes("3 completed, 1 failed"));
  });

  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.ok(isLoopback(h), h);
    for (const h of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) assert.ok(!isLoopback(h), h);
  });
});
