/**
 * The README's quick start runs as written, from source: extracted from README.md and executed with
 * tsx, `errand` resolving to src/ (the "errand-source" condition that scripts/run-tests.mjs sets).
 * test/packaging runs the same block with plain node against the packed tarball.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "./support/temp.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

it("the README quick start runs and prints the durable result", { timeout: 60_000 }, () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "README has a js code block under Quick start");
  // Inside the repo so that `errand` resolves through the package's self-reference.
  const file = join(root, "test", `.readme-quick-start-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const cwd = tempDir();
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const r = spawnSync(process.execPath, ["--conditions=errand-source", "--import", tsx, file], { cwd, encoding: "utf8", timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok: true/);
    assert.match(r.stdout, /u1@example\.com/);
  } finally {
    rmSync(file, { force: true });
  }
});
