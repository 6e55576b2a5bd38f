/**
 * The examples of docs/testing.md as test files: ```ts blocks are node:test files, ```ts vitest and
 * ```ts jest blocks are specs for those runners. Imports of the package (`errand`, `errand/testing`,
 * …) are pointed at the sources, relative to where the file is written.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const ENTRIES: Record<string, string> = {
  errand: "src/index.ts",
  "errand/testing": "src/testing/index.ts",
  "errand/sqlite": "src/sqlite/index.ts",
};

/** The code of the doc's blocks whose info string is exactly `info` ("ts", "ts vitest", "ts jest"). */
export function docBlocks(info: string): string[] {
  const doc = readFileSync(join(root, "docs", "testing.md"), "utf8");
  return [...doc.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1]!.trim() === info).map((m) => m[2]!);
}

/** Writes `code` to `file` with package imports pointed at the sources; returns a remover. */
export function writeExample(file: string, code: string): () => void {
  const rewritten = code.replace(/from "(errand(?:\/[a-z]+)?)"/g, (whole, spec: string) => {
    const entry = ENTRIES[spec];
    if (entry === undefined) return whole;
    const rel = relative(dirname(file), join(root, entry)).split(sep).join("/");
    return `from "${rel.startsWith(".") ? rel : `./${rel}`}"`;
  });
  writeFileSync(file, rewritten);
  return () => rmSync(file, { force: true });
}

/** How many `test(` calls the code makes (the tests a runner must report as passed). */
export const countTests = (code: string) => code.match(/^test\(/gm)?.length ?? 0;
