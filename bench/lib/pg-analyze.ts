/**
 * `ANALYZE` of a whole bench database, run by every PostgreSQL contestant after its jobs are inserted
 * and before timing starts, so each one's queries are planned with statistics, as autovacuum would
 * provide in production (on a fresh, never-analysed table some planners pick nested seq scans).
 */
import pg from "pg";

export async function analyze(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("ANALYZE");
  } finally {
    await c.end();
  }
}
