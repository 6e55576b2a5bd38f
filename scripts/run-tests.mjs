#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20 does not
// discover .ts files and takes no globs, so the list is built here, sorted, explicitly).
// Extra arguments are passed through, e.g. `node scripts/run-tests.mjs --test-name-pattern=sqlite`;
// arguments naming *.test.ts files run just those files.
// ERRAND_TEST_FILTER=substring keeps only the files whose path contains it.
//
// Tests run from source: the "errand-source" export condition (package.json "exports") makes
// `import "errand"` resolve to src/*.ts instead of the compiled dist/, here and, through NODE_OPTIONS,
// in every child process a test starts. By hand: `node --conditions=errand-source --import tsx --test x.test.ts`.
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

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith(".test.ts"));
const passThrough = args.filter((a) => !a.endsWith(".test.ts"));
const filter = process.env.ERRAND_TEST_FILTER;
const files = (named.length > 0 ? named : [...walk("src", []), ...walk("test", [])])
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no *.test.ts files found");
  process.exit(1);
}
const condition = "--conditions=errand-source";
const nodeOptions = [process.env.NODE_OPTIONS, condition].filter(Boolean).join(" ");
// --test-force-exit: a test file that leaves a handle open (a worker a failed test never stopped)
// ends when its tests end instead of hanging the run; --test-timeout bounds any single test.
const result = spawnSync(
  process.execPath,
  [condition, "--import", "tsx", "--test", "--test-concurrency=1", "--test-force-exit", "--test-timeout=300000", ...passThrough, ...files],
  { stdio: "inherit", env: { ...process.env, NODE_OPTIONS: nodeOptions } },
);
process.exit(result.status ?? 1);
