/**
 * Behind an https reverse proxy: a real Node proxy in front of the dashboard adds X-Forwarded-Proto/Host
 * (and either rewrites Host to the upstream, as nginx does by default, or keeps it, as Caddy does).
 * With `publicOrigin` (or `trustProxy`) login and actions work, and the cookie is `Secure`; without
 * them the forwarded headers are ignored.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, serveDashboard, toNodeHandler, type DashboardOptions } from "../../src/dashboard/index.ts";
import { createFixture, type Fixture } from "./fixture.ts";

const TOKEN = "proxy-test-token-0123";
const PUBLIC = "https://ops.example.test";

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** A TLS-terminating proxy stand-in: forwards to `upstream`, adding X-Forwarded-Proto/Host/For. */
function proxy(upstream: number, keepHost: boolean): Server {
  return createServer((req, res) => {
    const headers = { ...req.headers };
    headers["x-forwarded-proto"] = "https";
    headers["x-forwarded-host"] = new URL(PUBLIC).host;
    headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    headers.host = keepHost ? new URL(PUBLIC).host : `127.0.0.1:${upstream}`;
    const out = request({ host: "127.0.0.1", port: upstream, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", () => res.writeHead(502).end());
    req.pipe(out);
  });
}

/** What a browser on https://ops.example.test sends. */
const browser = { Origin: PUBLIC, "Sec-Fetch-Site": "same-origin" };

async function loginAndReplay(port: number, runId: string): Promise<{ login: Answer; replay: Answer | null }> {
  const login = await send(port, "POST", "/errand/login", { ...browser, "Content-Type": "application/x-www-form-urlencoded" }, `token=${TOKEN}`);
  const set = login.headers["set-cookie"]?.[0];
  if (login.status !== 303 || set === undefined) return { login, replay: null };
  const cookie = set.split(";")[0]!;
  const page = await send(port, "GET", `/errand/runs/${runId}`, { Cookie: cookie });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
  const replay = await send(port, "POST", `/errand/runs/${runId}/replay`, { ...browser, Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, `_csrf=${encodeURIComponent(csrf)}`);
  return { login, replay };
}

describe("dashboard behind an https reverse proxy", () => {
  let fx: Fixture;
  before(async () => {
    fx = await createFixture();
  });
  after(async () => fx.close());

  const setups: [string, Partial<DashboardOptions>, boolean][] = [
    ["publicOrigin, Host rewritten (nginx default)", { publicOrigin: PUBLIC }, false],
    ["publicOrigin, Host kept (Caddy default)", { publicOrigin: PUBLIC }, true],
    ["trustProxy, Host rewritten", { trustProxy: true }, false],
    ["trustProxy, Host kept", { trustProxy: true }, true],
  ];
  for (const [name, extra, keepHost] of setups) {
    it(`logs in and acts with ${name}; the cookie is Secure`, async () => {
      const app = createServer(toNodeHandler(createDashboard({ engine: fx.engine, basePath: "/errand", auth: { token: TOKEN }, ...extra })));
      const upstream = await listen(app);
      const front = proxy(upstream, keepHost);
      const port = await listen(front);
      try {
        const { login, replay } = await loginAndReplay(port, fx.greetId);
        assert.equal(login.status, 303, login.body);
        assert.match(login.headers["set-cookie"]?.[0] ?? "", /; Secure/);
        assert.equal(replay?.status, 303, replay?.body);
        assert.match(String(replay?.headers.location), /^\/errand\/runs\/[^?]+\?notice=replayed$/);
        const evil = await send(port, "POST", "/errand/login", { Origin: "https://evil.test", "Content-Type": "application/x-www-form-urlencoded" }, `token=${TOKEN}`);
        assert.equal(evil.status, 403, "another origin is still refused");
      } finally {
        await close(front);
        await close(app);
      }
    });
  }

  it("a proxy's own Basic authentication does not hide the session cookie", async () => {
    const d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
    const login = await d.fetch(new Request("http://dash.test/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}` }));
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const page = await d.fetch(new Request("http://dash.test/runs", { headers: { Cookie: cookie, Authorization: "Basic b3BzOnB3" } }));
    assert.equal(page.status, 200);
    const wrongBearer = await d.fetch(new Request("http://dash.test/runs", { headers: { Cookie: cookie, Authorization: "Bearer not-the-token-at-all" } }));
    assert.equal(wrongBearer.status, 401, "a wrong Bearer token is still refused");
  });

  it("without publicOrigin or trustProxy, forwarded headers are ignored", async () => {
    const app = createServer(toNodeHandler(createDashboard({ engine: fx.engine, basePath: "/errand", auth: { token: TOKEN } })));
    const upstream = await listen(app);
    const front = proxy(upstream, false);
    const port = await listen(front);
    try {
      const login = await send(port, "POST", "/errand/login", { ...browser, "Content-Type": "application/x-www-form-urlencoded" }, `token=${TOKEN}`);
      assert.equal(login.status, 403, "https://ops.example.test is not this server's origin unless configured");
      const direct = await send(upstream, "POST", "/errand/login", { Origin: `http://127.0.0.1:${upstream}`, "X-Forwarded-Proto": "https", "Content-Type": "application/x-www-form-urlencoded" }, `token=${TOKEN}`);
      assert.equal(direct.status, 303);
      assert.doesNotMatch(direct.headers["set-cookie"]?.[0] ?? "", /Secure/, "a spoofed X-Forwarded-Proto changes nothing");
    } finally {
      await close(front);
      await close(app);
    }
  });

  it("serveDashboard on loopback accepts the public host name and checks publicOrigin", async () => {
    const srv = await serveDashboard({ engine: fx.engine, port: 0, token: TOKEN, basePath: "/errand", publicOrigin: PUBLIC });
    const front = proxy(srv.port, true);
    const port = await listen(front);
    try {
      const { login, replay } = await loginAndReplay(port, fx.greetId);
      assert.equal(login.status, 303, login.body);
      assert.equal(replay?.status, 303);
    } finally {
      await close(front);
      await srv.close();
    }
    for (const bad of ["ops.example.test", "ftp://x.test", "https://x.test/path", "https://u:p@x.test"]) {
      assert.throws(() => createDashboard({ engine: fx.engine, publicOrigin: bad }), /`publicOrigin`/, bad);
    }
    assert.throws(() => createDashboard({ engine: fx.engine, trustProxy: "yes" as never }), /`trustProxy`/);
  });
});
