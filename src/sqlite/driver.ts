/**
 * The slice of better-sqlite3 the store uses, as structural types: pass your own `Database`
 * (better-sqlite3 ≥ 9) as `sqliteStore({ database })`.
 */
export interface SqliteRunResult {
  readonly changes: number;
}

export interface SqliteStatementLike {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays of column values (much cheaper than objects for wide rows). */
  raw(toggle?: boolean): SqliteStatementLike;
}

export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  readonly name: string;
  readonly open: boolean;
  readonly inTransaction: boolean;
  /** Opened read-only (better-sqlite3). */
  readonly readonly?: boolean;
}

/** A prepared-statement cache and transaction helper over one connection. */
export class Sql {
  readonly db: SqliteDatabaseLike;
  #cache = new Map<string, SqliteStatementLike>();
  #rawCache = new Map<string, SqliteStatementLike>();

  constructor(db: SqliteDatabaseLike) {
    this.db = db;
  }

  stmt(sql: string): SqliteStatementLike {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }

  /** Rows as arrays of column values, in the order of the statement's columns. */
  rows(sql: string, params: object | readonly unknown[] = {}): unknown[][] {
    let s = this.#rawCache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql).raw(true);
      this.#rawCache.set(sql, s);
    }
    return s.all(params) as unknown[][];
  }

  run(sql: string, params: object = {}): SqliteRunResult {
    return this.stmt(sql).run(params);
  }

  get<T>(sql: string, params: object = {}): T | undefined {
    return this.stmt(sql).get(params) as T | undefined;
  }

  all<T>(sql: string, params: object = {}): T[] {
    return this.stmt(sql).all(params) as T[];
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction (the write lock is taken up front: no upgrade deadlocks). */
  write<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.stmt("BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      this.stmt("COMMIT").run();
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.stmt("ROLLBACK").run();
      throw error;
    }
  }
}
