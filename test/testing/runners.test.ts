/**
 * errand/testing works under vitest and jest as well as node:test: each runs the specs in
 * test/testing/runners/ (the same checks, see tasks.ts there) in its own process, as a user would.
 * Jest runs in its documented ES module mode (`node --experimental-vm-modules`), transforming
 * TypeScript with Babel's TypeScript preset.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const runners = join(root, "test", "testing", "runners");
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };

function run(args: readonly string[]) {
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", timeout: 150_000 });
  const output = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${output}`);
  return output;
}

describe("errand/testing under other test runners", { timeout: 300_000 }, () => {
  it("vitest runs the specs", (t) => {
    const out = run([join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--root", runners, "vitest.spec"]);
    assert.match(out, /Tests\s+3 passed \(3\)/);
    t.diagnostic(/vitest: 3-day sleep .*/.exec(out)?.[0] ?? "");
  });

  it("jest (ES modules) runs the specs", (t) => {
    const jest = join(root, "node_modules", "jest", "bin", "jest.js");
    const out = run(["--experimental-vm-modules", jest, "--ci", "--config", join(runners, "jest.config.json")]);
    assert.match(out, /Tests:\s+3 passed, 3 total/);
    t.diagnostic(/jest: 3-day sleep .*/.exec(out)?.[0] ?? "");
  });
});
