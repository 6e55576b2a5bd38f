/** `errand dashboard` behind an https proxy (`--public-origin`), and its token minimum. */
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { until } from "../support/temp.ts";
import { createProject, errand, spawnErrand } from "./project.ts";

const CONFIG = `
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
const noop = defineTask({ id: "noop", run: async () => 1 });
export default { store: sqliteStore({ path: "errand.db" }), tasks: [noop] };
`;

const TOKEN = "cli-dashboard-token-0123";

function postLogin(port: number, headers: Record<string, string>): Promise<{ status: number; cookie: string }> {
  const body = `token=${TOKEN}`;
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, method: "POST", path: "/login", headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, cookie: res.headers["set-cookie"]?.[0] ?? "" });
    }).on("error", reject).end(body);
  });
}

describe("errand dashboard options", () => {
  it("--public-origin: logins from https://ops.example.test through a proxy keeping Host get a Secure cookie", { timeout: 120_000 }, async () => {
    const project = createProject(CONFIG);
    const d = spawnErrand(project, ["dashboard", "--port", "0", "--token", TOKEN, "--public-origin", "https://ops.example.test"]);
    try {
      const url = await until(() => /errand dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.stdout())?.[1], "dashboard url", 60_000, 50);
      const port = Number(new URL(url!).port);
      const ok = await postLogin(port, { Host: "ops.example.test", Origin: "https://ops.example.test", "Sec-Fetch-Site": "same-origin" });
      assert.equal(ok.status, 303);
      assert.match(ok.cookie, /; Secure/);
      const evil = await postLogin(port, { Host: "ops.example.test", Origin: "https://evil.test" });
      assert.equal(evil.status, 403);
    } finally {
      d.child.kill("SIGINT");
      await d.collect();
    }
  });

  it("refuses a short token with a clear error", { timeout: 60_000 }, async () => {
    const project = createProject(CONFIG);
    const r = await errand(project, ["dashboard", "--port", "0", "--token", "short-token"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /`auth\.token` must be at least 16 characters/);
    assert.ok(!r.stderr.includes("short-token"), "the token itself is not echoed");
  });
});
