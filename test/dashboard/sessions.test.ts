/**
 * Sessions and logins: stateless sessions signed with a key derived from the token (they survive a
 * restart and work on every instance with that token), logouts that stay revoked until expiry with
 * bounded memory, a per-client login backoff, a token strength minimum, and cross-site requests
 * refused whatever the credentials.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, toNodeHandler, type Dashboard, type SessionInfo, type SessionRevocations } from "../../src/dashboard/index.ts";
import { createSecurity, SESSION_TTL_MS } from "../../src/dashboard/security.ts";
import { createLoginLimiter, clientKey } from "../../src/dashboard/login-limit.ts";
import { memoryRevocations } from "../../src/dashboard/revocations.ts";
import { createFixture, type Fixture } from "./fixture.ts";
import { cookieOf, csrfOf, get, ORIGIN, postForm, postJson } from "./helpers.ts";

const TOKEN = "sessions-test-token-0123";

function login(d: Dashboard, token: string, remoteAddress?: string): Promise<Response> {
  const req = new Request(ORIGIN + "/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN }, body: new URLSearchParams({ token }).toString() });
  return d.fetch(req, remoteAddress === undefined ? undefined : { remoteAddress });
}

describe("dashboard sessions across restarts and instances", () => {
  let fx: Fixture;
  before(async () => {
    fx = await createFixture();
  });
  after(async () => fx.close());

  it("a session from one instance works on another with the same token (restart, load balancer)", async () => {
    const a = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
    const cookie = cookieOf(await login(a, TOKEN));
    const csrf = csrfOf(await (await get(a, `/runs/${fx.greetId}`, { Cookie: cookie })).text());
    const b = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
    assert.equal((await get(b, "/runs", { Cookie: cookie })).status, 200, "the other instance accepts the cookie");
    const replay = await postForm(b, `/runs/${fx.greetId}/replay`, { _csrf: csrf }, { Cookie: cookie, Origin: ORIGIN });
    assert.equal(replay.status, 303, "and the CSRF token of the first instance's page");
    const other = createDashboard({ engine: fx.engine, auth: { token: TOKEN + "-rotated" } });
    assert.equal((await get(other, "/runs", { Cookie: cookie })).status, 401, "changing the token ends every session");
  });

  it("a logout is honoured by every instance sharing the revocations", async () => {
    const shared = new Map<string, number>();
    const revocations: SessionRevocations = {
      revoke: async (s: SessionInfo) => void shared.set(s.id, s.expiresAt),
      isRevoked: async (s: SessionInfo) => shared.has(s.id),
    };
    const a = createDashboard({ engine: fx.engine, auth: { token: TOKEN, revocations } });
    const b = createDashboard({ engine: fx.engine, auth: { token: TOKEN, revocations } });
    const cookie = cookieOf(await login(a, TOKEN));
    const csrf = csrfOf(await (await get(a, "/runs", { Cookie: cookie })).text());
    const out = await postForm(a, "/logout", { _csrf: csrf }, { Cookie: cookie, Origin: ORIGIN });
    assert.equal(out.status, 303);
    assert.equal(shared.size, 1);
    assert.equal((await get(a, "/runs", { Cookie: cookie })).status, 401);
    assert.equal((await get(b, "/runs", { Cookie: cookie })).status, 401, "the other instance refuses the logged-out cookie");
    const fresh = cookieOf(await login(b, TOKEN));
    assert.equal((await get(a, "/runs", { Cookie: fresh })).status, 200, "a new login works everywhere");
  });

  it("rejects weak tokens: too short or too repetitive", () => {
    for (const token of ["short", "fifteen-chars!!", "aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab"]) {
      assert.throws(() => createDashboard({ engine: fx.engine, auth: { token } }), /`auth\.token`/, token);
    }
    assert.doesNotThrow(() => createDashboard({ engine: fx.engine, auth: { token: "xK3v-9qLm2Zt7wPa" } }));
    assert.throws(() => createDashboard({ engine: fx.engine, auth: { token: TOKEN, revocations: {} as never } }), /`auth\.revocations`/);
  });
});

describe("session revocations in memory", () => {
  const req = (headers: Record<string, string> = {}) => new Request("http://h.test/runs", { headers });

  it("a logout outlives any number of later logouts, until the session expires", async () => {
    let clock = 5_000_000;
    const s = createSecurity({ token: TOKEN, basePath: "", now: () => clock });
    const first = s.login(req(), TOKEN)!.split(";")[0]!;
    const auth = await s.authenticate(req({ cookie: first }));
    assert.ok(auth.ok);
    await s.logout(auth);
    for (let i = 0; i < 10_050; i++) {
      const c = s.login(req(), TOKEN)!.split(";")[0]!;
      await s.logout(await s.authenticate(req({ cookie: c })));
    }
    assert.equal((await s.authenticate(req({ cookie: first }))).ok, false, "still revoked after 10,050 later logouts");
    clock += SESSION_TTL_MS + 1;
    assert.equal((await s.authenticate(req({ cookie: first }))).ok, false, "and expired");
  });

  it("keeps memory bounded: expired entries go, and overflowing revokes every older session instead of forgetting one", () => {
    let clock = 1_000_000;
    const r = memoryRevocations({ max: 100, now: () => clock });
    const info = (id: string, issuedAt = clock): SessionInfo => ({ id, issuedAt, expiresAt: issuedAt + SESSION_TTL_MS });
    const early = info("early");
    r.revoke(early);
    const live = info("live-but-not-revoked", clock - 10);
    clock += 1;
    for (let i = 0; i < 150; i++) r.revoke(info(`s${i}`));
    assert.ok(r.size <= 100, `size ${r.size}`);
    assert.equal(r.isRevoked(early), true, "never forgotten before expiry");
    assert.equal(r.isRevoked(live), true, "overflow revoked every session issued before it (safe side)");
    clock += 1;
    assert.equal(r.isRevoked(info("issued-after-overflow")), false);

    const p = memoryRevocations({ max: 100, now: () => clock });
    for (let i = 0; i < 40; i++) p.revoke(info(`p${i}`));
    assert.equal(p.size, 40);
    clock += SESSION_TTL_MS + 10;
    assert.equal(p.isRevoked(info("p0", clock - SESSION_TTL_MS - 10)), true, "an expired session stays refused (its cookie is too old anyway)");
    p.revoke(info("late"));
    assert.equal(p.size, 1, "expired revocations are dropped");
  });
});

describe("login backoff per client", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture({ seed: false });
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
  });
  after(async () => fx.close());

  it("after 5 failures a client waits (429 + Retry-After, the token not even checked); other clients do not", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login(d, "wrong-token-guess-0000", "203.0.113.7")).status, 401, `attempt ${i + 1}`);
    const limited = await login(d, TOKEN, "203.0.113.7");
    assert.equal(limited.status, 429, "even the right token waits");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal(limited.headers.get("set-cookie"), null);
    assert.match(await limited.text(), /Too many failed attempts/);
    assert.equal((await login(d, TOKEN, "198.51.100.2")).status, 303, "another client logs in");
  });

  it("wrong Bearer tokens count as failures too, and wait out the same backoff", async () => {
    const bearer = (token: string, remoteAddress: string) => d.fetch(new Request(ORIGIN + "/api/stats", { headers: { Authorization: `Bearer ${token}` } }), { remoteAddress });
    for (let i = 0; i < 5; i++) assert.equal((await bearer("wrong-token-guess-0000", "203.0.113.50")).status, 401);
    const limited = await bearer(TOKEN, "203.0.113.50");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await login(d, TOKEN, "203.0.113.50")).status, 429, "the login form shares the count");
    assert.equal((await bearer(TOKEN, "198.51.100.50")).status, 200, "another client is not affected");
    assert.equal((await get(d, "/api/stats", {})).status, 401, "no credentials at all is not a guess");
  });

  it("counts failures per client address through toNodeHandler (the socket's address)", async () => {
    const server: Server = createServer(toNodeHandler(createDashboard({ engine: fx.engine, auth: { token: TOKEN } })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const post = (token: string, localAddress: string) => new Promise<number>((resolve, reject) => {
      const body = new URLSearchParams({ token }).toString();
      request({ host: "127.0.0.1", port, localAddress, path: "/login", method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length), "X-Forwarded-For": "192.0.2.99" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject).end(body);
    });
    try {
      for (let i = 0; i < 5; i++) assert.equal(await post("wrong-token-guess-0000", "127.0.0.1"), 401);
      assert.equal(await post(TOKEN, "127.0.0.1"), 429);
      assert.equal(await post(TOKEN, "127.0.0.2"), 303, "another address; X-Forwarded-For is ignored without trustProxy");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("backs off exponentially, forgets after success, groups IPv6 by /64 and keeps a bounded table", () => {
    let clock = 0;
    const l = createLoginLimiter({ now: () => clock, maxClients: 50 });
    for (let i = 0; i < 5; i++) {
      assert.equal(l.retryAfterMs("a"), 0, "5 attempts without waiting");
      l.failed("a");
    }
    assert.equal(l.retryAfterMs("a"), 1000);
    clock += 400;
    assert.equal(l.retryAfterMs("a"), 600);
    clock += 600;
    assert.equal(l.retryAfterMs("a"), 0);
    clock += 1000;
    l.failed("a");
    assert.equal(l.retryAfterMs("a"), 2000);
    clock += 2000;
    l.failed("a");
    assert.equal(l.retryAfterMs("a"), 4000);
    for (let i = 0; i < 30; i++) l.failed("a");
    assert.equal(l.retryAfterMs("a"), 15 * 60_000, "capped");
    l.succeeded("a");
    assert.equal(l.retryAfterMs("a"), 0);
    for (let i = 0; i < 500; i++) l.failed(`c${i}`);
    assert.ok(l.size <= 50, `size ${l.size}`);
    assert.equal(clientKey("2001:db8:1:2:aaaa::1"), clientKey("2001:db8:1:2:bbbb::9"));
    assert.notEqual(clientKey("2001:db8:1:3::1"), clientKey("2001:db8:1:2::1"));
    assert.equal(clientKey("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(clientKey(undefined), "unknown");
  });
});

describe("cross-site requests are refused whatever the credentials", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
  });
  after(async () => fx.close());

  it("a Bearer-authenticated POST from another origin or site is refused and changes nothing", async () => {
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    const before = (await fx.engine.runs.list({ limit: 100 })).runs.length;
    const cases: Record<string, string>[] = [
      { ...bearer, Origin: "https://evil.test" },
      { ...bearer, Origin: "null" },
      { ...bearer, "Sec-Fetch-Site": "cross-site" },
      { ...bearer, "Sec-Fetch-Site": "same-site" },
    ];
    for (const headers of cases) {
      assert.equal((await postForm(d, `/runs/${fx.explodeId}/replay`, {}, headers)).status, 403, JSON.stringify(headers));
      assert.equal((await postJson(d, "/api/tasks/greet/trigger", { payload: { name: "x" } }, headers)).status, 403, JSON.stringify(headers));
      assert.equal((await postForm(d, "/tasks/greet/trigger", { payload: `{"name":"x"}` }, headers)).status, 403, JSON.stringify(headers));
    }
    assert.equal((await fx.engine.runs.list({ limit: 100 })).runs.length, before, "nothing was triggered or replayed");
    const script = await postJson(d, "/api/tasks/greet/trigger", { payload: { name: "x" } }, bearer);
    assert.equal(script.status, 201, "a script (no Origin) still works");
    const same = await postJson(d, "/api/tasks/greet/trigger", { payload: { name: "x" } }, { ...bearer, Origin: ORIGIN, "Sec-Fetch-Site": "same-origin" });
    assert.equal(same.status, 201, "so does a same-origin page");
  });
});
