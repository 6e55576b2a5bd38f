/**
 * `npm run bench`: runs every bench/*.bench.ts file (or those whose name contains an argument) one
 * after another, each in its own process, and lets each print its own table of ratios.
 */
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

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
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} (${new Date().toISOString()}) ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", join(dir, file)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
