/**
 * The slice of node-postgres the store uses, as structural types: pass your own `pg.Pool`.
 */
import { loadPg } from "./load-driver.ts";
export interface PgQueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
  /** Column names in order (node-postgres fills it; read with `rowMode: "array"`). */
  readonly fields?: readonly { readonly name: string }[];
}

export interface PgClientLike {
  query<R = Record<string, unknown>>(text: string | PgNamedQuery, values?: unknown[]): Promise<PgQueryResult<R>>;
  release(error?: Error | boolean): void;
  on?(event: "error", listener: (error: Error) => void): unknown;
  off?(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * A named query is prepared once per connection by node-postgres. `rowMode: "array"` returns each
 * row as an array in column order (no object built per row). `types`: the column parsers for this
 * query (node-postgres's defaults when absent).
 */
export interface PgNamedQuery {
  readonly name: string;
  readonly text: string;
  readonly rowMode?: "array";
  readonly types?: PgTypeParsers | undefined;
}

/** node-postgres's type-parser lookup (`pg.types`, or a query's `types`). */
export interface PgTypeParsers {
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
}

const INT8 = 20;
const TEXT_ARRAY = 1009;
let hot: PgTypeParsers | null | undefined;

/**
 * Column parsers for statements that read hundreds of runs (the claim): node-postgres's own, except
 * that `bigint` text is kept as it is without the check node-postgres makes on it (it returns that same
 * text; the stores read it with `Number()`), and an empty `text[]` (`{}`, the tags of most runs) is
 * read without starting the array parser. Null when node-postgres's parsers cannot be loaded (a
 * pool from another package): the query then uses its pool's own.
 */
export function hotTypes(): PgTypeParsers | undefined {
  if (hot !== undefined) return hot ?? undefined;
  try {
    const base = loadPg().types as PgTypeParsers;
    const textArray = base.getTypeParser(TEXT_ARRAY, "text");
    const keep = (v: string): string => v;
    const tags = (v: string): unknown => (v === "{}" ? [] : textArray(v));
    hot = {
      getTypeParser(oid, format = "text") {
        if (format === "text" && oid === INT8) return keep;
        if (format === "text" && oid === TEXT_ARRAY) return tags;
        return base.getTypeParser(oid, format);
      },
    };
  } catch {
    hot = null;
  }
  return hot ?? undefined;
}

export interface PgPoolLike {
  query<R = Record<string, unknown>>(text: string | PgNamedQuery, values?: unknown[]): Promise<PgQueryResult<R>>;
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  on?(event: "error", listener: (error: Error) => void): unknown;
}

/** A connection from the pool, for LISTEN (needs `on("notification")`). */
export interface PgListenClientLike {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgQueryResult<R>>;
  release(error?: Error | boolean): void;
  on(event: "notification", listener: (n: { channel: string; payload?: string }) => void): unknown;
  on(event: "error" | "end", listener: (e?: Error) => void): unknown;
  removeAllListeners?(event?: string): unknown;
}

export type Queryable = Pick<PgClientLike, "query">;

/** Runs `fn` inside BEGIN … COMMIT on one pooled connection (ROLLBACK on error). */
export async function transaction<T>(pool: PgPoolLike, fn: (c: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A checked-out client has no error listener of the pool's: a connection killed between two
  // queries (server restart) would otherwise crash the process with an unhandled 'error' event.
  const onError = () => {
    broken = true;
  };
  client.on?.("error", onError);
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.off?.("error", onError);
    client.release(broken);
  }
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * A `text[]` parameter as PostgreSQL's array literal, `{"a","b"}`: for the hundreds of run ids of a
 * completion, one join instead of node-postgres's escaping of each element (ids never need it; a
 * value that does is escaped here).
 */
export function textArrayLiteral(values: readonly string[]): string {
  for (const v of values) {
    if (NEEDS_ESCAPE.test(v)) return `{${values.map((x) => `"${x.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
  }
  return values.length === 0 ? "{}" : `{"${values.join('","')}"}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal (as node-postgres's escapeLiteral: quotes doubled; backslashes doubled under E''). */
export function quoteLiteral(value: string): string {
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes("\\") ? ` E${quoted.replaceAll("\\", "\\\\")}` : quoted;
}
