/** Opening and migrating an SQLite database for the store, with readable errors. */
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import type { SqliteDatabaseLike } from "./driver.ts";
import { Sql } from "./driver.ts";
import { loadBetterSqlite3 } from "./load-driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import { isBusy, SYNC_BUSY_MS } from "./busy.ts";
import { FileGuard } from "./file-guard.ts";
import { WalWriteback } from "./wal-writeback.ts";
import { isReadonly, notWritable, openReadonlyFile, SqliteReadonlyError } from "./readonly.ts";

export interface SqliteStoreOptions {
  /** File path of the database (created if missing), or ":memory:". Give this or `database`. */
  readonly path?: string;
  /** Your own better-sqlite3 Database (the store does not close it). Give this or `path`. */
  readonly database?: SqliteDatabaseLike;
  /** PRAGMA synchronous: "NORMAL" (fast; a power loss may lose the last commits) or "FULL". @default "NORMAL" */
  readonly synchronous?: "NORMAL" | "FULL";
  /** SQLite's page cache of this connection, in KiB (files only; the OS caches the file as well). @default 2048 */
  readonly cacheKiB?: number;
  /**
   * How long a call waits for another process's lock before failing with `SqliteBusyError`. The wait
   * does not block the event loop: the store retries the call from the loop with backoff.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Open the file for reading only (to inspect a copy, or a file this process may not write): queries
   * work, every write fails with `SqliteReadonlyError`, and `migrate()` only checks that the schema is
   * current. The file must exist. A `database` opened read-only is used this way whatever this says.
   * @default false
   */
  readonly readonly?: boolean;
}

const DEFAULT_CACHE_KIB = 2048;

/**
 * With synchronous NORMAL, pages the WAL may hold before a commit copies them into the database file
 * (SQLite's default is 1000). Each copy ends in two fsyncs, the only ones NORMAL makes; a trigger or a
 * claim writes a few pages, and the hot ones (the ends of the indexes) again and again: a longer WAL
 * copies each of them once for more commits and pays the fsyncs a quarter as often (up to 16 MiB of
 * WAL with 4 KiB pages). Not with FULL: there every commit syncs the WAL, and a sync of a WAL that is
 * still growing also writes the file's new size (measured: half the single triggers per second on a
 * fresh file).
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

export interface Opened {
  readonly sql: Sql;
  /** The option `busyTimeoutMs`: how long a locked-out call is retried (asynchronously). */
  readonly busyTimeoutMs: number;
  readonly owned: boolean;
  readonly label: string;
  readonly memory: boolean;
  /** Open for reading only: writes fail with SqliteReadonlyError. */
  readonly readonly: boolean;
  /** Watches for the file being deleted or replaced (null for `:memory:`). */
  readonly guard: FileGuard | null;
  /** Writes the WAL out ahead of checkpoints (wal-writeback.ts); null unless a writable file with `synchronous = NORMAL`. */
  readonly writeback: WalWriteback | null;
}

export function validateOptions(options: SqliteStoreOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError("sqliteStore: expected options { path } or { database }");
  }
  const { path, database, synchronous, busyTimeoutMs } = options;
  if ((path === undefined) === (database === undefined)) {
    throw new TypeError("sqliteStore: give exactly one of the options `path` and `database`");
  }
  if (path !== undefined && (typeof path !== "string" || path.length === 0)) {
    throw new TypeError("sqliteStore: option `path` must be a non-empty string (a file path or \":memory:\")");
  }
  if (database !== undefined && (typeof database !== "object" || typeof database.prepare !== "function")) {
    throw new TypeError("sqliteStore: option `database` must be a better-sqlite3 Database");
  }
  if (synchronous !== undefined && synchronous !== "NORMAL" && synchronous !== "FULL") {
    throw new TypeError(`sqliteStore: option \`synchronous\` must be "NORMAL" or "FULL", got ${JSON.stringify(synchronous)}`);
  }
  if (options.cacheKiB !== undefined && (!Number.isInteger(options.cacheKiB) || options.cacheKiB < 64)) {
    throw new TypeError(`sqliteStore: option \`cacheKiB\` must be an integer >= 64, got ${String(options.cacheKiB)}`);
  }
  if (busyTimeoutMs !== undefined && (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0)) {
    throw new TypeError(`sqliteStore: option \`busyTimeoutMs\` must be an integer >= 0, got ${String(busyTimeoutMs)}`);
  }
  if (options.readonly !== undefined && typeof options.readonly !== "boolean") {
    throw new TypeError(`sqliteStore: option \`readonly\` must be true or false, got ${String(options.readonly)}`);
  }
  if (options.readonly === true && path === ":memory:") {
    throw new TypeError("sqliteStore: option `readonly` needs a file: an in-memory database starts empty");
  }
}

export function openDatabase(options: SqliteStoreOptions): Opened {
  const timeout = options.busyTimeoutMs ?? 5000;
  let db: SqliteDatabaseLike | undefined;
  let owned = false;
  const label = options.path ?? options.database?.name ?? "database";
  // Outside the try: a missing driver is its own error (MissingDriverError), not a bad database file.
  const Database = options.database === undefined ? loadBetterSqlite3() : undefined;
  const memory = label === ":memory:" || label === "";
  try {
    if (options.database !== undefined) {
      db = options.database;
    } else {
      db = options.readonly === true ? openReadonlyFile(Database!, options.path!, timeout) : new Database!(options.path!, { timeout });
      owned = true;
    }
    const readonly = options.readonly === true || db.readonly === true;
    // SQLite opens a file it may not write read-only without a word: say so now, not at the first write.
    if (!readonly && !memory && notWritableFile(label)) throw notWritable(label);
    // SQLite's busy handler blocks the event loop: keep it to a few ms and retry asynchronously (busy.ts).
    db.pragma(`busy_timeout = ${Math.min(timeout, SYNC_BUSY_MS)}`);
    if (!memory && !readonly) setWal(db, timeout);
    const synchronous = options.synchronous ?? "NORMAL";
    if (!readonly) db.pragma(`synchronous = ${synchronous}`);
    if (!memory && !readonly && synchronous === "NORMAL") db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // better-sqlite3's page cache is 16 MiB: it fills as the file grows and stays, so the process
    // grows with the history. The hot path touches the ends of a few indexes; the rest comes from
    // the operating system's file cache at the cost of a read call.
    if (!memory) db.pragma(`cache_size = ${-(options.cacheKiB ?? DEFAULT_CACHE_KIB)}`);
    db.pragma("foreign_keys = OFF");
    const writeback = memory || readonly || synchronous !== "NORMAL" ? null : new WalWriteback(`${resolve(label)}-wal`);
    return { sql: new Sql(db), owned, label, memory, readonly, busyTimeoutMs: timeout, guard: FileGuard.of(label, memory), writeback };
  } catch (error) {
    if (owned && db?.open) db.close();
    if (isBusy(error)) throw error;
    if (error instanceof SqliteReadonlyError) throw error;
    if (isReadonly(error)) throw notWritable(label, error);
    throw openError(label, error);
  }
}

/**
 * Whether the file cannot be written by this process (SQLite then opens it read-only without a word;
 * better-sqlite3's `readonly` reflects only the flag it was opened with).
 */
function notWritableFile(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return false;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === "EACCES" || code === "EROFS" || code === "EPERM";
  }
}

function setWal(db: SqliteDatabaseLike, timeoutMs: number): void {
  // Switching to WAL needs a moment of exclusive access; processes starting together may collide.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

export function openError(label: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const hint = /not a database|malformed|file is encrypted/i.test(message)
    ? " — the file exists but is not an SQLite database (or is corrupt); point `path` at another file"
    : code === "SQLITE_CANTOPEN"
      ? " — the file (with option `readonly`) or its folder does not exist, or this process may not open it"
      : "";
  return new Error(`sqliteStore: cannot use "${label}" as an SQLite database: ${message}${hint}`, { cause: error });
}

/** Applies missing migrations in one BEGIN IMMEDIATE transaction (safe across processes). */
export function migrate(sql: Sql, label: string): void {
  try {
    sql.db.exec(
      "CREATE TABLE IF NOT EXISTS errand_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    sql.write(() => {
      const applied = new Set(
        (sql.db.prepare("SELECT version FROM errand_migrations").all() as { version: number }[]).map((r) => r.version),
      );
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        sql.db.exec(m.sql);
        sql.db.prepare("INSERT INTO errand_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      }
    });
  } catch (error) {
    if (isBusy(error)) throw error; // retried by the store
    throw openError(label, error);
  }
}
