/** Options, pools, connection errors and migrations of the PostgreSQL store. */
import { quoteIdent, transaction, type PgListenClientLike, type PgPoolLike } from "./driver.ts";
import { StoreConnectionError } from "../vocabulary/errors.ts";
import { isConnectionError, isLostConnection } from "./connection-errors.ts";
import { loadPg } from "./load-driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import { redactText, redactUrl, redactorFor, scrubError } from "../store/redact.ts";

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:5432/db`. Give this or `pool`. */
  readonly connectionString?: string;
  /** Your own `pg.Pool` (the store does not end it). Give this or `connectionString`. */
  readonly pool?: PgPoolLike;
  /** Schema holding Errand's tables (created if missing). @default "errand" */
  readonly schema?: string;
  /** Pool size when the store makes its own pool. @default 10 */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing with a clear error. @default 5000 */
  readonly connectTimeoutMs?: number;
}

const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Connections the store's own pool keeps open however long they sit idle: the claim's and the
 * completion's (sticky.ts) and one per plain trigger statement in flight (trigger-queue.ts). A new
 * connection costs a TCP connect, an authentication and a cold backend (tens of ms on a busy server)
 * on the path of the call that asked for it; with pg's 10 s idle timeout alone, an application that
 * triggers less often than that paid it on every trigger. Idle connections do not keep the process
 * alive (`allowExitOnIdle`).
 */
const WARM_CONNECTIONS = 4;

export interface Resolved {
  readonly pool: PgPoolLike;
  readonly owned: boolean;
  readonly schema: string;
  /** Replaces `:S` with the quoted schema. */
  readonly S: (sql: string) => string;
  /** The server, for messages (secrets redacted). */
  readonly label: string;
  /** Removes the connection string's secrets from a text. */
  readonly redact: (text: string) => string;
  readonly channel: string;
  /** The pool's size, when known (a pool you pass in: its `options.max`, or pg's default 10). */
  readonly poolSize: number;
  openListenConnection(): Promise<{ client: PgListenClientLike; end(): Promise<void> }>;
}

export function resolveOptions(options: PostgresStoreOptions): Resolved {
  if (options === null || typeof options !== "object") throw new TypeError("postgresStore: expected options { connectionString } or { pool }");
  const { connectionString, pool, schema = "errand", maxConnections = 10, connectTimeoutMs = 5000 } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new TypeError("postgresStore: give exactly one of the options `connectionString` and `pool`");
  }
  if (connectionString !== undefined) {
    if (typeof connectionString !== "string" || connectionString === "") {
      throw new TypeError("postgresStore: option `connectionString` must be a non-empty string such as postgres://user:pass@localhost:5432/db");
    }
    // No `cause`: the URL parser's error carries the whole input, secrets included.
    let why: string | null = null;
    try {
      const u = new URL(connectionString);
      if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") why = `protocol ${u.protocol}`;
    } catch {
      why = "not a valid URL";
    }
    if (why !== null) throw new TypeError(`postgresStore: option \`connectionString\` is not a postgres:// URL (${why}: ${redactUrl(connectionString)})`);
  }
  if (pool !== undefined && (typeof pool !== "object" || typeof pool.query !== "function" || typeof pool.connect !== "function")) {
    throw new TypeError("postgresStore: option `pool` must be a pg.Pool (or an object with query() and connect())");
  }
  if (typeof schema !== "string" || !SCHEMA.test(schema)) {
    throw new TypeError(`postgresStore: option \`schema\` must be a plain identifier (letters, digits, _), got ${JSON.stringify(schema)}`);
  }
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new TypeError("postgresStore: option `maxConnections` must be an integer >= 1");
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) throw new TypeError("postgresStore: option `connectTimeoutMs` must be an integer >= 1");

  const quoted = quoteIdent(schema);
  const S = (sql: string) => sql.replaceAll(":S.", `${quoted}.`);
  const channel = `errand_${schema}`;
  if (pool !== undefined) {
    return {
      pool,
      owned: false,
      schema,
      S,
      label: `postgres (your pool), schema ${schema}`,
      redact: redactorFor((pool as { options?: { connectionString?: string } }).options?.connectionString),
      channel,
      poolSize: (pool as { options?: { max?: number } }).options?.max ?? 10,
      async openListenConnection() {
        const c = (await pool.connect()) as unknown as PgListenClientLike;
        return {
          client: c,
          end: async () => {
            c.removeAllListeners?.("notification");
            await c.query(`UNLISTEN "${channel}"`).catch(() => {});
            c.release(true);
          },
        };
      },
    };
  }
  const pg = loadPg();
  const own = new pg.Pool({
    connectionString,
    max: maxConnections,
    min: Math.min(maxConnections, WARM_CONNECTIONS),
    allowExitOnIdle: true,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A connection dropped by the server (restart) must not crash the process with an unhandled
  // 'error' event, idle or checked out: errors reach callers through their queries instead.
  own.on("error", () => {});
  own.on("connect", (client) => {
    client.on("error", () => {});
  });
  return {
    pool: own as unknown as PgPoolLike,
    owned: true,
    schema,
    S,
    label: `${redactUrl(connectionString!)}, schema ${schema}`,
    redact: redactorFor(connectionString),
    channel,
    poolSize: maxConnections,
    async openListenConnection() {
      const c = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
      c.on("error", () => {}); // the listener's own handlers decide what to do
      await c.connect();
      return { client: c as unknown as PgListenClientLike, end: () => c.end() };
    },
  };
}

/** Wraps a driver error into a readable one that names the server; secrets are removed from both. */
export function connectionError(label: string, error: unknown, redact: (text: string) => string = redactText): Error {
  const e = scrubError(error, redact) as { code?: string; message?: string };
  const message = redact(e?.message || String(error));
  const hint =
    e?.code === "ECONNREFUSED"
      ? " — is PostgreSQL running and listening there?"
      : /timeout/i.test(message)
        ? " — the server did not answer in time"
        : e?.code === "28P01"
          ? " — wrong user or password"
          : e?.code === "3D000"
            ? " — that database does not exist"
            : "";
  return new StoreConnectionError(`postgresStore: cannot use ${label}: ${message}${hint}`, { cause: error, lost: isLostConnection(error) });
}

/** Applies missing migrations under a transaction-level advisory lock (safe for concurrent starts). */
export async function migrate(r: Resolved): Promise<void> {
  try {
    await transaction(r.pool, async (c) => {
      // One lock per schema: concurrent migrators queue here, then find the work done.
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`errand-migrate:${r.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(r.schema)}`);
      await c.query(r.S("CREATE TABLE IF NOT EXISTS :S.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"));
      const applied = new Set((await c.query<{ version: number }>(r.S("SELECT version FROM :S.migrations"))).rows.map((x) => x.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query(r.S(m.sql));
        await c.query(r.S("INSERT INTO :S.migrations (version, name, applied_at) VALUES ($1, $2, $3)"), [m.version, m.name, Date.now()]);
      }
    });
  } catch (error) {
    throw isConnectionError(error) ? connectionError(r.label, error, r.redact) : scrubError(error, r.redact);
  }
}
