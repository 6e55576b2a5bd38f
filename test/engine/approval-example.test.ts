/** examples/approval.ts (issue 15's approval flow) runs as written: the token is completed over HTTP once, the second answer is refused. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

it("examples/approval.ts: an event starts the task, a manager completes its token through the callback URL", { timeout: 90_000 }, () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "examples/approval.ts")], { cwd: root, encoding: "utf8", timeout: 80_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /r-1: \{"refundId":"r-1","paid":true,"by":"auto"\}/);
  assert.match(r.stdout, /r-2: waiting, holding no worker slot/);
  assert.match(r.stdout, /the manager answered: 200 \{"completed":true\}/);
  assert.match(r.stdout, /a second answer: 409 .*"reason":"alreadyCompleted"/);
  assert.match(r.stdout, /r-2: \{"refundId":"r-2","paid":true,"by":"grace's manager"\}/);
  assert.match(r.stdout, /approval flow: ok/);
  assert.doesNotMatch(r.stdout, /wpt_[A-Za-z0-9_-]{32}/, "the example never prints a token id");
});
