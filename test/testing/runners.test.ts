/**
 * errand/testing works under vitest and jest as well as node:test: each runs, in its own process as
 * a user would, the specs in test/testing/runners/ (the same checks, see tasks.ts there) and the
 * Vitest or Jest example of docs/testing.md. Jest runs in its documented ES module mode
 * (`node --experimental-vm-modules`), transforming TypeScript with Babel's TypeScript preset.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { countTests, docBlocks, root, writeExample } from "./doc-blocks.ts";

const runners = join(root, "test", "testing", "runners");
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };

/** Runs `args` with the doc's `info` examples written beside the specs; returns the output and the doc's test count. */
function runWithDocExamples(info: string, suffix: string, args: readonly string[]) {
  const blocks = docBlocks(info);
  assert.equal(blocks.length, 1, `docs/testing.md has one \`\`\`${info} example`);
  const remove = writeExample(join(runners, `docs-${process.pid}.${suffix}`), blocks[0]!);
  try {
    const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", timeout: 150_000 });
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${output}`);
    return { output, docTests: countTests(blocks[0]!) };
  } finally {
    remove();
  }
}

describe("errand/testing under other test runners", { timeout: 300_000 }, () => {
  it("vitest runs the specs and the docs' Vitest example", (t) => {
    const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
    const { output, docTests } = runWithDocExamples("ts vitest", "vitest.spec.ts", [vitest, "run", "--root", runners, "vitest.spec"]);
    const n = 3 + docTests;
    assert.match(output, new RegExp(`Tests\\s+${n} passed \\(${n}\\)`), output);
    t.diagnostic(/vitest: 3-day sleep .*/.exec(output)?.[0] ?? "");
  });

  it("jest (ES modules) runs the specs and the docs' Jest example", (t) => {
    const jest = join(root, "node_modules", "jest", "bin", "jest.js");
    const args = ["--experimental-vm-modules", jest, "--ci", "--config", join(runners, "jest.config.json")];
    const { output, docTests } = runWithDocExamples("ts jest", "jest.spec.ts", args);
    const n = 3 + docTests;
    assert.match(output, new RegExp(`Tests:\\s+${n} passed, ${n} total`), output);
    t.diagnostic(/jest: 3-day sleep .*/.exec(output)?.[0] ?? "");
  });
});
