/**
 * `npm run bench`: runs every bench/*.bench.ts file (or those whose name contains an argument) one
 * after another, each in its own process, and lets each print its own table of ratios; then prints
 * every bench's verdicts against docs/CONTRACT.md §5 in one table (see bench/lib/verdict.ts).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { collected, printSummary, VERDICTS_ENV } from "./lib/verdict.ts";

const dir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no bench/*.bench.ts file matches ${filters.join(", ") || "(all)"}`);
  process.exit(1);
}
const verdictDir = mkdtempSync(join(tmpdir(), "errand-bench-verdicts-"));
const verdictFile = join(verdictDir, "verdicts.jsonl");
const started = Date.now();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} (${new Date().toISOString()}) ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", join(dir, file)], {
    stdio: "inherit",
    env: { ...process.env, [VERDICTS_ENV]: verdictFile },
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${file} exited with ${r.status ?? r.signal}`);
  }
}
printSummary(collected(verdictFile));
rmSync(verdictDir, { recursive: true, force: true });
console.log(`\nbench: ${files.length} file(s) in ${((Date.now() - started) / 60_000).toFixed(1)} min${failed === 0 ? "" : `, ${failed} failed`}`);
process.exit(failed === 0 ? 0 : 1);
