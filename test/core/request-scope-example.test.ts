import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

it("examples/request-scope.ts --once serves one request and loads auth, user and orders once each", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "examples/request-scope.ts"), "--once"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const body = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(body["user"], { id: 1, name: "Ada" });
  assert.deepEqual(body["profile"], { name: "Ada", orderCount: 2, spent: 42 });
  assert.equal((body["orders"] as unknown[]).length, 2);
  assert.deepEqual(body["queries"], { auth: 1, user: 1, orders: 1 });
});
