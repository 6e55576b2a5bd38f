/**
 * errand/testing sits on top: src/testing uses the engine and the SQLite store through their entry
 * points (index.ts), and nothing else in src/ imports src/testing.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** [repo-relative importer, specifier, repo-relative target or null for a bare specifier]. */
function imports(): [string, string, string | null][] {
  const out: [string, string, string | null][] = [];
  for (const file of tsFiles(join(root, "src"))) {
    const from = relative(root, file).split(sep).join("/");
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      const to = spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)).split(sep).join("/") : null;
      out.push([from, spec, to]);
    }
  }
  return out;
}

it("src/testing imports other layers only through their entry points, never the CLI, dashboard or PostgreSQL", () => {
  const bad = imports()
    .filter(([from]) => from.startsWith("src/testing/"))
    .filter(([, spec, to]) => {
      if (to === null) return !spec.startsWith("node:");
      if (to.startsWith("src/testing/")) return false;
      return !/^src\/[a-z-]+\/index\.ts$/.test(to) || /^src\/(cli|dashboard|postgres)\//.test(to);
    });
  assert.deepEqual(bad, []);
});

it("nothing outside src/testing imports it", () => {
  const bad = imports().filter(([from, spec, to]) => !from.startsWith("src/testing/") && (to?.startsWith("src/testing") || /^errand\/testing/.test(spec)));
  assert.deepEqual(bad, []);
});
