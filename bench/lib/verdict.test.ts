/** The verdict helpers: met / missed / not measured, and the summary file round trip. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { atLeast, atMost, collected, report, VERDICTS_ENV, verdictWord } from "./verdict.ts";

test("atLeast and atMost decide met, missed and not measured", () => {
  const show = (v: number) => `${v}×`;
  assert.equal(atLeast("t", 1.2, 1, show).met, true);
  assert.equal(atLeast("t", 0.8, 1, show).met, false);
  assert.equal(atLeast("t", undefined, 1, show).met, undefined);
  assert.equal(atLeast("t", Number.NaN, 1, show).measured, "not measured");
  assert.equal(atMost("t", 2, 2, show).met, true);
  assert.equal(atMost("t", 2.01, 2, show).met, false);
  assert.deepEqual([true, false, undefined].map(verdictWord), ["met", "MISSED", "n/a"]);
});

test("report appends to the file npm run bench collects", () => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-test-"));
  const file = join(dir, "v.jsonl");
  const before = process.env[VERDICTS_ENV];
  process.env[VERDICTS_ENV] = file;
  try {
    report("a.bench", [atLeast("x", 2, 1, String)]);
    report("b.bench", [atMost("y", 3, 1, String)]);
    assert.deepEqual(
      collected(file).map((v) => [v.bench, v.target, v.met]),
      [["a.bench", "x", true], ["b.bench", "y", false]],
    );
  } finally {
    if (before === undefined) delete process.env[VERDICTS_ENV];
    else process.env[VERDICTS_ENV] = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
