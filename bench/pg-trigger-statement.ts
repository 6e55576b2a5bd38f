/**
 * What one plain trigger's statement costs on the server: `npx tsx bench/pg-trigger-statement.ts` (a
 * profiling script, not part of `npm run bench`). One connection sends 500 single-run inserts per
 * variant and round, one after another (the first 50 not counted), the variants interleaved over
 * BENCH_ROUNDS (6) rounds; prints each variant's median of the rounds' p50. SC=off runs the session
 * with `synchronous_commit = off` (no wait for the WAL flush: the statement's own CPU and round trip).
 *
 * - one: INSERT_RUN_NOTIFY, what a trigger of one run sends (a VALUES row, counters, NOTIFY);
 * - unnest: INSERT_RUNS_NOTIFY with one run (an unnest of 17 one-element arrays), what it sent before;
 * - noNotify, noCount, valuesCount: `one` without its NOTIFY, without its counter delta, and with the
 *   delta as a plain VALUES row (what each part of the statement costs);
 * - bare: an INSERT of the same row with nothing else (no counters, no NOTIFY): the floor.
 */
import pg from "pg";
import { postgresStore } from "../src/postgres/index.ts";
import { insertOneParams, insertParams } from "../src/postgres/tx.ts";
import * as q from "../src/postgres/sql.ts";
import { newRun } from "../src/store/conformance/harness.ts";
import { envInt } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { median, percentile } from "./lib/stats.ts";

const R = envInt("BENCH_ROUNDS", 6);
/** The counter-delta CTE of the one-run statement (see the variants below). */
const COUNTED = /, counted AS \([\s\S]*?GROUP BY 1, 2\)/;
const syncCommit = process.env["SC"] === "off" ? "off" : "on";
const server = await startPgServer();
try {
  const url = await server.freshDatabase("trigger_statement");
  const store = postgresStore({ connectionString: url });
  await store.migrate();
  await store.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`SET synchronous_commit = ${syncCommit}`);
  const S = (sql: string) => sql.replaceAll(":S.", `"errand".`);
  const channel = "errand_errand";
  const now = Date.now();
  const bare = S(`INSERT INTO :S.runs (id, task_id, queue, status, payload, priority, run_at, created_at, updated_at, attempt, max_attempts, tags)
    VALUES ($1, 'task', 'default', 'queued', '{}', 0, $2, $2, $2, 1, 3, '{}')`);
  const variants: Record<string, () => Promise<unknown>> = {
    one: () => c.query({ name: "one", text: S(q.INSERT_RUN_NOTIFY) }, [...insertOneParams(newRun({ runAt: now }), now), channel]),
    unnest: () => c.query({ name: "unnest", text: S(q.INSERT_RUNS_NOTIFY) }, [...insertParams([newRun({ runAt: now })], [now]), channel]),
    // What the one-run statement's parts cost: without its NOTIFY, without its counter delta, and the
    // delta as a plain VALUES row instead of an aggregate over the inserted row.
    noNotify: () => c.query({ name: "no_notify", text: S(q.INSERT_RUN_NOTIFY.replace("SELECT pg_notify($18, '') FROM ins", "SELECT 1 FROM ins")) }, insertOneParams(newRun({ runAt: now }), now)),
    noCount: () => c.query({ name: "no_count", text: S(q.INSERT_RUN_NOTIFY.replace(COUNTED, "")) }, [...insertOneParams(newRun({ runAt: now }), now), channel]),
    valuesCount: () =>
      c.query({ name: "values_count", text: S(q.INSERT_RUN_NOTIFY.replace(COUNTED, ", counted AS (INSERT INTO :S.run_counts (queue, status, n) VALUES ($3, $5, 1))")) }, [
        ...insertOneParams(newRun({ runAt: now }), now),
        channel,
      ]),
    bare: () => c.query({ name: "bare", text: bare }, [newRun().id, now]),
  };
  const p50s: Record<string, number[]> = {};
  for (let r = 0; r < R; r++) {
    for (const [name, send] of Object.entries(variants)) {
      const ms: number[] = [];
      for (let i = 0; i < 500; i++) {
        const t0 = performance.now();
        await send();
        if (i >= 50) ms.push(performance.now() - t0);
      }
      (p50s[name] ??= []).push(percentile(ms, 50));
    }
  }
  await c.end();
  console.log(`pg-trigger-statement: ${machineLine()} · synchronous_commit=${syncCommit} · ${R} rounds`);
  for (const [name, xs] of Object.entries(p50s)) console.log(`${name}: p50 ${median(xs).toFixed(3)} ms (rounds ${xs.map((x) => x.toFixed(3)).join(" / ")})`);
} finally {
  await server.stop();
}
