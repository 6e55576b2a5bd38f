/**
 * Read-only use of an SQLite file (option `readonly`, a `database` opened read-only, or a file this
 * process may not write): queries work, writes fail with {@link SqliteReadonlyError}, and `migrate()`
 * checks that the schema is current instead of changing it.
 */
import { readFileSync, statSync } from "node:fs";
import type { SqliteDatabaseLike, Sql } from "./driver.ts";
import type { DatabaseConstructor } from "./load-driver.ts";
import { MIGRATIONS } from "./migrations.ts";

/** A write on a store opened read-only, or a file this process cannot write. */
export class SqliteReadonlyError extends Error {
  override readonly name = "SqliteReadonlyError";
}

/** The error of a write on a store opened read-only (option `readonly`). */
export function readonlyWrite(label: string): SqliteReadonlyError {
  return new SqliteReadonlyError(
    `sqliteStore: "${label}" is open read-only (option \`readonly\`): this call writes. Open the store without \`readonly\` to change it.`,
  );
}

/** The error of a file SQLite could only open for reading while the store was asked to write. */
export function notWritable(label: string, cause?: unknown): SqliteReadonlyError {
  return new SqliteReadonlyError(
    `sqliteStore: "${label}" cannot be written by this process (the file or its folder is read-only). ` +
      `Give it write access, or pass \`readonly: true\` to sqliteStore() to inspect it without writing.`,
    cause === undefined ? undefined : { cause },
  );
}

/** SQLite's "attempt to write a readonly database" and its extended codes. */
export function isReadonly(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_READONLY") && code !== "SQLITE_READONLY_DBMOVED";
}

/** `migrate()` of a read-only store: the schema must already be current. */
export function checkSchema(sql: Sql, label: string): void {
  const table = sql.get<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'errand_migrations'");
  const applied = new Set(
    table !== undefined && table.n > 0 ? sql.all<{ version: number }>("SELECT version FROM errand_migrations").map((r) => r.version) : [],
  );
  const missing = MIGRATIONS.filter((m) => !applied.has(m.version)).map((m) => m.version);
  if (missing.length === 0) return;
  const what = applied.size === 0 ? "holds no Errand tables" : `lacks migrations ${missing.join(", ")}`;
  throw new SqliteReadonlyError(
    `sqliteStore: "${label}" is open read-only (option \`readonly\`) and ${what}; open it once without \`readonly\` (e.g. \`errand migrate\`) to create or update them.`,
  );
}

/**
 * Opens `path` for reading only. A file in WAL mode needs its `-shm` index beside it, which SQLite
 * cannot create in a folder this process may not write; then, if no `-wal` file holds changes the
 * main file lacks, the store reads an in-memory copy of the file taken now (a snapshot: later changes
 * by other processes are not seen).
 */
export function openReadonlyFile(Database: DatabaseConstructor, path: string, timeout: number): SqliteDatabaseLike {
  const db = new Database(path, { timeout, readonly: true, fileMustExist: true });
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "SQLITE_READONLY_DIRECTORY" && code !== "SQLITE_CANTOPEN") throw error;
    db.close();
    if ((statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
      throw new SqliteReadonlyError(
        `sqliteStore: "${path}" is in WAL mode and "${path}-wal" holds changes not yet in the file, but the folder is read-only, so SQLite cannot read them. ` +
          `Copy the file with its -wal file to a writable folder, or open it once with write access.`,
        { cause: error },
      );
    }
    const image = readFileSync(path);
    // Bytes 18 and 19 of the header say "WAL mode"; the in-memory copy has no WAL, so mark it legacy.
    if (image.length >= 20 && image[18] === 2) image[18] = image[19] = 1;
    return new Database(image, { readonly: true });
  }
}
