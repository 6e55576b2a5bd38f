/**
 * The claim statements of one PostgreSQL store, built once per worker shape instead of on every claim.
 *
 * A claim's statement depends on its cap, the worker's queues and tasks, and the set of limited
 * queues (claim-sql.ts). Building it (a queue filter with quoted names, a 2 kB text, the schema put
 * in, a hash for its name) cost about 0.1 ms of CPU per claim, measured on the wake-up path of an
 * idle worker: between a notification and the claim going out. A worker asks with the same `queues`
 * and `taskIds` arrays every time and the limits change only when they are read again, so the last
 * answer is kept by identity, and every statement built by its filter text.
 */
import { createHash } from "node:crypto";
import type { RunRecord } from "../store/types.ts";
import { claimFree, queueFilter } from "./claim-sql.ts";
import { hotTypes, quoteLiteral, type PgNamedQuery } from "./driver.ts";
import { runReader, type KnownColumns } from "./rows.ts";

/** More distinct claim statements than this (a store serving many worker shapes) starts the cache over. */
const MAX_STATEMENTS = 64;

/** One claim statement and how to read its rows (the same columns on every execution). */
export class ClaimStatement {
  readonly query: PgNamedQuery & { readonly rowMode: "array" };
  #names: readonly string[] | null = null;
  #reader: ((row: readonly unknown[], known?: KnownColumns) => RunRecord) | null = null;
  #at = new Map<string, number>();

  constructor(query: PgNamedQuery) {
    this.query = { ...query, rowMode: "array", types: hotTypes() };
  }

  /** Index of column `name` in this statement's rows (`fields` of a result), -1 if absent. */
  column(fields: readonly { name: string }[] | undefined, name: string): number {
    this.#learn(fields);
    let i = this.#at.get(name);
    if (i === undefined) {
      i = this.#names!.indexOf(name);
      this.#at.set(name, i);
    }
    return i;
  }

  /** Reads a row of this statement as a run (`known`: what the claim set, for the columns it does not return). */
  reader(fields: readonly { name: string }[] | undefined): (row: readonly unknown[], known?: KnownColumns) => RunRecord {
    this.#learn(fields);
    this.#reader ??= runReader(this.#names!);
    return this.#reader;
  }

  #learn(fields: readonly { name: string }[] | undefined): void {
    const f = fields ?? [];
    if (this.#names !== null && this.#names.length === f.length) return;
    this.#names = f.map((x) => x.name);
    this.#reader = null;
    this.#at.clear();
  }
}

export class ClaimStatements {
  readonly #named: (name: string, sql: string) => PgNamedQuery;
  readonly #byFilter = new Map<string, ClaimStatement>();
  #last: { cap: number; queues: unknown; taskIds: unknown; limits: unknown; statement: ClaimStatement } | null = null;

  /** `named` names a statement and puts the schema in its text. */
  constructor(named: (name: string, sql: string) => PgNamedQuery) {
    this.#named = named;
  }

  /**
   * The statement claiming from `queues` (null = all) minus the `limited` ones, for `taskIds` (null =
   * all). `limits` is the object the limited names were read from: a new one means they may differ.
   */
  get(cap: number, queues: readonly string[] | null, taskIds: readonly string[] | null, limits: object, limited: readonly string[]): ClaimStatement {
    const last = this.#last;
    if (last !== null && last.cap === cap && last.queues === queues && last.taskIds === taskIds && last.limits === limits) return last.statement;
    const filter = queueFilter(queues, limited, quoteLiteral, taskIds);
    const key = `${cap}:${filter}`;
    let statement = this.#byFilter.get(key);
    if (statement === undefined) {
      if (this.#byFilter.size >= MAX_STATEMENTS) this.#byFilter.clear();
      const name = `claim${cap}${filter === "" ? "" : `_${createHash("sha1").update(filter).digest("hex").slice(0, 12)}`}`;
      statement = new ClaimStatement(this.#named(name, claimFree(cap, filter)));
      this.#byFilter.set(key, statement);
    }
    this.#last = { cap, queues, taskIds, limits, statement };
    return statement;
  }
}
