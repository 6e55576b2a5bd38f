/** docs/testing.md: its node:test examples run as written (the Vitest and Jest ones: runners.test.ts). */
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { countTests, docBlocks, root, writeExample } from "./doc-blocks.ts";

it("the node:test examples of docs/testing.md pass", { timeout: 120_000 }, (t) => {
  const blocks = docBlocks("ts");
  assert.ok(blocks.length >= 3, "docs/testing.md has node:test examples");
  for (const code of blocks) {
    assert.match(code, /from "errand\/testing"/);
    assert.match(code, /from "node:test"/);
  }
  const files = blocks.map((_, i) => join(root, "test", "testing", `.doc-example-${process.pid}-${i}.ts`));
  const removers = blocks.map((code, i) => writeExample(files[i]!, code));
  try {
    // A test runner of its own: without the parent's NODE_TEST_CONTEXT it reports in plain TAP.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--test", ...files], { cwd: root, env, encoding: "utf8", timeout: 110_000 });
    const expected = blocks.reduce((n, code) => n + countTests(code), 0);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^# pass ${expected}$`, "m"), r.stdout);
    assert.match(r.stdout, /^# fail 0$/m);
    t.diagnostic(`${blocks.length} examples, ${expected} tests passed`);
  } finally {
    for (const remove of removers) remove();
  }
});
