/**
 * Request bodies and malformed requests: the fetch handler streams every body with a byte cap (Hono,
 * Bun and Deno mounts do not go through toNodeHandler), the trigger API takes only a JSON object,
 * and toNodeHandler answers oversized bodies and malformed targets/hosts with 413/400 and the usual
 * security headers.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, toNodeHandler, type Dashboard } from "../../src/dashboard/index.ts";
import { createFixture, type Fixture } from "./fixture.ts";
import { cookieOf, csrfOf, get, ORIGIN, parseRaw, postJson, rawHttp } from "./helpers.ts";

const TOKEN = "bodies-test-token-0123";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const MiB = 1_048_576;

/** A lazily generated body of `total` bytes; `pulled()` says how many the reader actually took. */
function hugeBody(total: number, chunk = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const block = new Uint8Array(chunk).fill(0x61);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk;
      controller.enqueue(block);
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => sent };
}

function postStream(d: Dashboard, path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>): Promise<Response> {
  return d.fetch(new Request(ORIGIN + path, { method: "POST", body, headers, duplex: "half" } as RequestInit));
}

describe("dashboard request bodies", () => {
  let fx: Fixture;
  let d: Dashboard;
  let cookie: string;
  let csrf: string;
  before(async () => {
    fx = await createFixture();
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
    const login = await d.fetch(new Request(ORIGIN + "/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}` }));
    cookie = cookieOf(login);
    csrf = csrfOf(await (await get(d, `/runs/${fx.greetId}`, { Cookie: cookie })).text());
  });
  after(async () => fx.close());

  it("stops reading a huge body at the cap on every route, the unauthenticated login included", { timeout: 60_000 }, async () => {
    const routes: [string, Record<string, string>][] = [
      ["/login", { "Content-Type": "application/x-www-form-urlencoded" }],
      ["/logout", { ...AUTH, "Content-Type": "application/x-www-form-urlencoded" }],
      [`/runs/${fx.greetId}/replay`, { Cookie: cookie, "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }],
      ["/tasks/greet/trigger", { ...AUTH, "Content-Type": "application/x-www-form-urlencoded" }],
      ["/api/tasks/greet/trigger", { ...AUTH, "Content-Type": "application/json" }],
      [`/api/runs/${fx.greetId}/cancel`, { ...AUTH, "Content-Type": "application/json" }],
    ];
    const runsBefore = (await fx.engine.runs.list({ limit: 100 })).runs.length;
    for (const [path, headers] of routes) {
      const body = hugeBody(64 * MiB);
      const res = await postStream(d, path, body.stream, headers);
      assert.equal(res.status, 413, path);
      assert.match((await res.json() as { error: string }).error, /too large/);
      assert.ok(res.headers.get("content-security-policy"), `${path}: security headers`);
      assert.ok(body.pulled() <= MiB + 2 * 64 * 1024, `${path}: read ${body.pulled()} bytes of a 64 MiB body`);
    }
    assert.equal((await fx.engine.runs.list({ limit: 100 })).runs.length, runsBefore, "nothing was triggered or replayed");
  });

  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    const body = hugeBody(4 * MiB);
    const res = await postStream(d, "/login", body.stream, { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(4 * MiB) });
    assert.equal(res.status, 413);
    assert.ok(body.pulled() <= 64 * 1024, `read ${body.pulled()} bytes`);
  });

  it("accepts a body just under the cap, counted in bytes (not characters)", async () => {
    const name = "é".repeat(Math.floor((MiB - 100) / 2));
    const res = await postJson(d, "/api/tasks/greet/trigger", { payload: { name } }, AUTH);
    assert.equal(res.status, 201);
    const over = await postJson(d, "/api/tasks/greet/trigger", { payload: { name: name + "é".repeat(100) } }, AUTH);
    assert.equal(over.status, 413, "1 MiB of bytes, though fewer characters");
  });

  it("the trigger API takes only a JSON object with known fields", async () => {
    const before = (await fx.engine.runs.list({ taskId: "greet", limit: 100 })).runs.length;
    for (const body of ["[1,2]", "null", '"str"', "5", "true"]) {
      const res = await d.fetch(new Request(ORIGIN + "/api/tasks/greet/trigger", { method: "POST", headers: { ...AUTH, "Content-Type": "application/json" }, body }));
      assert.equal(res.status, 400, body);
      assert.match((await res.json() as { error: string }).error, /body must be a JSON object/, body);
    }
    const typo = await postJson(d, "/api/tasks/greet/trigger", { name: "forgot the payload wrapper" }, AUTH);
    assert.equal(typo.status, 400);
    assert.match((await typo.json() as { error: string }).error, /unknown field "name"/);
    assert.equal((await fx.engine.runs.list({ taskId: "greet", limit: 100 })).runs.length, before, "nothing was triggered");
    const empty = await d.fetch(new Request(ORIGIN + "/api/tasks/greet/trigger", { method: "POST", headers: AUTH }));
    assert.equal(empty.status, 201, "an empty body still means the default payload");
    const invalidUtf8 = await d.fetch(new Request(ORIGIN + "/api/tasks/greet/trigger", { method: "POST", headers: { ...AUTH, "Content-Type": "application/json" }, body: new Uint8Array([0x7b, 0xff, 0x7d]) }));
    assert.equal(invalidUtf8.status, 400);
  });
});

describe("toNodeHandler: oversized bodies and malformed requests", () => {
  let fx: Fixture;
  let server: Server;
  let port: number;
  before(async () => {
    fx = await createFixture({ seed: false });
    server = createServer(toNodeHandler(createDashboard({ engine: fx.engine, auth: { token: TOKEN } })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await fx.close();
  });

  /** POSTs `size` bytes (with Content-Length, or chunked) and resolves with the answer's status and headers. */
  function postBig(size: number, chunked: boolean): Promise<{ status: number; csp: string | undefined }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...AUTH, "Content-Type": "application/json" };
      if (!chunked) headers["Content-Length"] = String(size);
      const req = request({ host: "127.0.0.1", port, path: "/api/tasks/greet/trigger", method: "POST", headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, csp: res.headers["content-security-policy"] as string | undefined });
      });
      req.on("error", reject);
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let written = 0;
      const pump = () => {
        while (written < size) {
          written += piece.length;
          if (!req.write(piece)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
  }

  it("answers 413 with security headers to a body over 1 MiB (no connection reset)", { timeout: 60_000 }, async () => {
    for (const chunked of [false, true]) {
      const res = await postBig(16 * MiB, chunked);
      assert.equal(res.status, 413, chunked ? "chunked" : "with Content-Length");
      assert.ok(res.csp?.includes("frame-ancestors 'none'"), "security headers");
    }
  });

  it("answers 400 with security headers to a bad Host, an absolute-form target and OPTIONS *", async () => {
    const cases = [
      "GET /runs HTTP/1.1\r\nHost: a@b\r\nConnection: close\r\n\r\n",
      "GET http://example.test/runs HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      "GET /runs HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n",
    ];
    for (const text of cases) {
      const answer = parseRaw(await rawHttp(port, text));
      assert.equal(answer.status, 400, text.split("\r\n")[0] + " " + text.split("\r\n")[1]);
      assert.match(answer.headers["content-security-policy"] ?? "", /default-src 'none'/, text);
      assert.equal(answer.headers["x-content-type-options"], "nosniff");
    }
    const ok = parseRaw(await rawHttp(port, `GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`));
    assert.equal(ok.status, 200, "a well-formed request still works");
  });
});
