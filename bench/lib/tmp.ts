/**
 * A temporary folder for a bench's SQLite files, removed when the bench ends (also on Ctrl-C).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `errand-bench-${prefix}-`));
  const remove = (): void => rmSync(path, { recursive: true, force: true });
  process.once("exit", remove);
  return { path, file: (name) => join(path, name), remove };
}
