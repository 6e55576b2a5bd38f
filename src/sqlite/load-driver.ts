/** better-sqlite3, loaded when a store first opens a file by `path` (see store/missing-driver.ts). */
import { loadDriver } from "../store/missing-driver.ts";
import type { SqliteDatabaseLike } from "./driver.ts";

export type DatabaseConstructor = new (
  path: string | Uint8Array,
  options: { timeout?: number; readonly?: boolean; fileMustExist?: boolean },
) => SqliteDatabaseLike;

let Database: DatabaseConstructor | undefined;

/** The better-sqlite3 `Database` class; MissingDriverError when the package is not installed. */
export function loadBetterSqlite3(): DatabaseConstructor {
  return (Database ??= loadDriver("sqliteStore", "better-sqlite3") as DatabaseConstructor);
}
