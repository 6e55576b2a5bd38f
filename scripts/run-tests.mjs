#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20 does not
// discover .ts files and takes no globs, so the list is built here, sorted, explicitly).
// Extra arguments are passed through, e.g. `node scripts/run-tests.mjs --test-name-pattern=sqlite`.
// ERRAND_TEST_FILTER=substring keeps only the files whose path contains it.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filter = process.env.ERRAND_TEST_FILTER;
const files = [...walk("src", []), ...walk("test", [])]
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no *.test.ts files found");
  process.exit(1);
}
// --test-force-exit: a test file that leaves a handle open (a worker a failed test never stopped)
// ends when its tests end instead of hanging the run; --test-timeout bounds any single test.
const args = [
  "--import",
  "tsx",
  "--test",
  "--test-concurrency=1",
  "--test-force-exit",
  "--test-timeout=300000",
  ...process.argv.slice(2),
  ...files,
];
const result = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(result.status ?? 1);
