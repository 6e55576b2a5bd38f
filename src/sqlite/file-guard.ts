/**
 * Noticing that the database file was deleted or replaced while the store has it open. SQLite keeps
 * writing to the file it opened: once that file is unlinked (or another file is moved onto its path),
 * every run accepted afterwards lives in a file nobody can open again and vanishes when the process
 * exits. The guard remembers the file's device and inode at open time and compares them with what
 * the path holds now, before calls (at most every {@link CHECK_EVERY_MS}, a `stat` costs a few µs)
 * and whenever SQLite reports an I/O or "moved" error. Once the file is gone the store fails every
 * call with {@link SqliteFileGoneError}; it does not reopen anything by itself.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";

/** How often (at most) a call checks the path; a call after an idle spell always checks. */
export const CHECK_EVERY_MS = 100;

/** Thrown by every call once the store's database file was deleted or replaced under it. */
export class SqliteFileGoneError extends Error {
  override readonly name = "SqliteFileGoneError";
  /** The absolute path of the database file. */
  readonly path: string;

  constructor(path: string, what: "deleted" | "replaced") {
    super(
      `sqliteStore: the database file "${path}" was ${what} while the store had it open; ` +
        `nothing written from now on could be read again, so the store refuses every call. ` +
        `Close it and open the store again (a new file starts empty).`,
    );
    this.path = path;
  }
}

type Identity = { readonly dev: number; readonly ino: number };

export class FileGuard {
  readonly #path: string;
  readonly #opened: Identity;
  #checkedAt = 0;
  #gone: SqliteFileGoneError | null = null;

  private constructor(path: string, opened: Identity) {
    this.#path = path;
    this.#opened = opened;
  }

  /** A guard for the file at `path` as it is now; null for `:memory:`, temporary or missing files. */
  static of(path: string | undefined, memory: boolean): FileGuard | null {
    if (memory || path === undefined || path === "") return null;
    const absolute = resolve(path);
    const s = statSync(absolute, { throwIfNoEntry: false });
    return s === undefined ? null : new FileGuard(absolute, { dev: s.dev, ino: s.ino });
  }

  /**
   * Throws SqliteFileGoneError when the path no longer holds the opened file. Without `force`, the
   * path is looked at only if the last look is {@link CHECK_EVERY_MS} old.
   */
  check(force = false): void {
    if (this.#gone !== null) throw this.#gone;
    const now = Date.now();
    if (!force && now - this.#checkedAt < CHECK_EVERY_MS) return;
    this.#checkedAt = now;
    const s = statSync(this.#path, { throwIfNoEntry: false });
    if (s === undefined) this.#gone = new SqliteFileGoneError(this.#path, "deleted");
    else if (s.dev !== this.#opened.dev || s.ino !== this.#opened.ino) this.#gone = new SqliteFileGoneError(this.#path, "replaced");
    if (this.#gone !== null) throw this.#gone;
  }
}

/** SQLite errors after which the guard looks at the path at once (the file may be the cause). */
export function hintsAtMovedFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_IOERR") || code === "SQLITE_READONLY_DBMOVED" || code.startsWith("SQLITE_CANTOPEN"));
}
