/**
 * Where Errand's PostgreSQL trigger→start time goes: `npx tsx bench/pg-latency-path.ts` (a profiling
 * script, not part of `npm run bench`). The latency bench's open loop (BENCH_LATENCY_RATE/s, default
 * 200; BENCH_LATENCY_N runs after 100 warm-up ones, default 2000) in this process, against a fresh
 * embedded server, with the store's methods timed from outside, so each run's path splits into:
 *
 * - insert: the trigger called → its notification heard (the INSERT, its commit and WAL flush, the NOTIFY);
 * - wake: notification heard → the claim asked of the store (the worker's wake-up);
 * - claim: the claim asked → its runs returned (statement, commit, rows read);
 * - start: the claim returned → the task function called (the run handed to a slot);
 * - resolved (not a phase of the path, beside it): the trigger called → its promise resolved (the
 *   INSERT's round trip, commit and flush included), to compare with "insert";
 * - sent and answered (beside it too, one-run triggers only): the trigger called → its INSERT handed
 *   to node-postgres (the engine's and the store's JavaScript before the statement goes out), and →
 *   the driver's callback for it (the server's answer, before any promise of the store or the engine
 *   settles); "insert" − "answered" is how much later the notification is heard than the answer.
 * - handed start (runs a trigger handed straight to the idle worker, inserted already claimed:
 *   `Store.createClaimedRun`; they have no notification, wake or claim): the insert's answer → the
 *   task function called. Their "sent" and "answered" are those of that insert.
 *
 * A run's wake and claim phases are those of the claim that returned it, its notification the last
 * one heard before that claim was asked. Also prints the WAL fsyncs per run over the loop (the claim
 * commits asynchronously since the change it measures; run this file from an export of the commit
 * before to compare). BENCH_ROUNDS loops (3), each on a fresh database; medians of the rounds' p50/p99.
 * BENCH_LATENCY_NOFSYNC=1: each round runs a second time with the server's `fsync` off (ALTER SYSTEM,
 * reloaded; commits still wait for the WAL write, not for the disk), so what the disk adds is read off
 * under the same CPU load. BENCH_PREWARM=k: the store gets a `pg.Pool` of the script's own (max 25, as
 * the store's) with k connections opened before the loop, as an application might pass in.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createEngine, defineTask } from "../src/index.ts";
import { postgresStore } from "../src/postgres/index.ts";
import { envInt, rounds } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { openLoop } from "./lib/open-loop.ts";
import { startPgServer, type PgServer } from "./lib/pg-server.ts";
import { median, percentile } from "./lib/stats.ts";
import { deferred, nowMs } from "./lib/wait.ts";

const n = envInt("BENCH_LATENCY_N", 2000);
const perSec = envInt("BENCH_LATENCY_RATE", 200);
const warmup = 100;
const R = rounds();
const noFsync = process.env["BENCH_LATENCY_NOFSYNC"] === "1";
const PHASES = ["total", "insert", "wake", "claim", "start", "handed start", "resolved", "sent", "answered"] as const;

/** When each one-run trigger's INSERT (named `errand_insert_one_…`) was handed to the driver and answered, by run id. */
const insertSent = new Map<string, number>();
const insertAnswered = new Map<string, number>();
type Query = (this: unknown, config: unknown, values?: unknown, callback?: unknown) => unknown;
const query = pg.Client.prototype.query as unknown as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (config, values, callback) {
  const name = typeof config === "object" && config !== null ? (config as { name?: unknown }).name : undefined;
  const timed = typeof name === "string" && (name.startsWith("errand_insert_one") || name.startsWith("errand_insert_claimed"));
  if (!timed || !Array.isArray(values)) return query.call(this, config, values, callback);
  const id = String(values[0]);
  insertSent.set(id, nowMs());
  if (typeof callback === "function") {
    return query.call(this, config, values, (error: unknown, result: unknown) => {
      insertAnswered.set(id, nowMs());
      (callback as (e: unknown, r: unknown) => void)(error, result);
    });
  }
  const out = query.call(this, config, values) as Promise<unknown>;
  out.then(() => insertAnswered.set(id, nowMs()), () => {});
  return out;
};
type Phase = (typeof PHASES)[number];

interface Round {
  readonly phases: Record<Phase, number[]>;
  readonly fsyncsPerRun: number;
  /** Connections opened to the database during the loop (pg_stat_database.sessions). */
  readonly sessions: number;
  /** Claims asked per run, over the loop (warm-up included). */
  readonly claimsPerRun: number;
  /** Runs (after the warm-up) handed to the worker by their trigger, inserted claimed. */
  readonly handed: number;
}

async function sessions(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).rows[0]?.sessions ?? 0);
  } finally {
    await c.end();
  }
}

async function setFsync(server: PgServer, on: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: server.url("postgres") });
  await c.connect();
  try {
    await c.query(`ALTER SYSTEM SET fsync = ${on ? "on" : "off"}`);
    await c.query("SELECT pg_reload_conf()");
  } finally {
    await c.end();
  }
  await sleep(200); // the reload reaches every process
}

async function round(server: PgServer, r: number): Promise<Round> {
  const url = await server.freshDatabase(`latpath_${r}`);
  const prewarm = envInt("BENCH_PREWARM", -1);
  const ownPool = prewarm < 0 ? null : new pg.Pool({ connectionString: url, max: 25 });
  const store = ownPool === null ? postgresStore({ connectionString: url, maxConnections: 25 }) : postgresStore({ pool: ownPool as never });
  const heard: number[] = [];
  const subscribe = store.subscribe.bind(store);
  store.subscribe = (listener) => subscribe((note) => {
    heard.push(nowMs());
    listener(note);
  });
  const claimOf = new Map<string, { asked: number; back: number; heard: number }>();
  const claimRuns = store.claimRuns.bind(store);
  let claims = 0;
  const handedIds = new Set<string>();
  const createClaimedRun = store.createClaimedRun?.bind(store);
  if (createClaimedRun !== undefined) {
    store.createClaimedRun = async (p) => {
      const out = await createClaimedRun(p);
      if (out !== null) handedIds.add(out.run.id);
      return out;
    };
  }
  store.claimRuns = async (p) => {
    claims++;
    const asked = nowMs();
    const lastHeard = heard.length === 0 ? Number.NaN : heard[heard.length - 1]!;
    const out = await claimRuns(p);
    const back = nowMs();
    for (const c of out) claimOf.set(c.run.id, { asked, back, heard: lastHeard });
    return out;
  };
  const total = n + warmup;
  const resolvedIn: number[] = [];
  const started = new Map<number, { at: number; t: number; id: string }>();
  const all = deferred();
  const task = defineTask<{ i: number; t: number }, null>({
    id: "noop",
    run: (p, ctx) => {
      started.set(p.i, { at: nowMs(), t: p.t, id: ctx.run.id });
      if (started.size === total) all.resolve();
      return null;
    },
  });
  const engine = createEngine({ store, tasks: [task] });
  await store.migrate();
  const worker = engine.worker({ concurrency: 24 });
  await worker.start();
  if (ownPool !== null && prewarm > 0) {
    const cs = await Promise.all(Array.from({ length: prewarm }, () => ownPool.connect()));
    for (const c of cs) c.release();
  }
  const wal0 = await server.wal();
  const sessions0 = await sessions(url);
  try {
    await openLoop(total, perSec, (i) => {
      const t = nowMs();
      void engine.trigger(task, { i, t }).then(() => {
        if (i >= warmup) resolvedIn.push(nowMs() - t);
      });
    });
    await all.promise;
  } finally {
    await worker.stop();
    await engine.close();
    await ownPool?.end();
  }
  await sleep(1100); // the statistics of fsyncs lag by up to a second
  const wal1 = await server.wal();
  const sessions1 = await sessions(url);
  const phases = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
  phases.resolved = resolvedIn;
  for (const [i, s] of started) {
    if (i < warmup) continue;
    const c = claimOf.get(s.id);
    phases.total.push(s.at - s.t);
    const sent = insertSent.get(s.id);
    const answered = insertAnswered.get(s.id);
    if (sent !== undefined) phases.sent.push(sent - s.t);
    if (answered !== undefined) phases.answered.push(answered - s.t);
    if (handedIds.has(s.id) && c === undefined) {
      if (answered !== undefined) phases["handed start"].push(s.at - answered);
      continue;
    }
    if (c === undefined) continue;
    // A claim that was asked before this run's notification came (a poll, an earlier wake) has no wake phase.
    if (c.heard >= s.t) {
      phases.insert.push(c.heard - s.t);
      phases.wake.push(c.asked - c.heard);
    }
    phases.claim.push(c.back - c.asked);
    phases.start.push(s.at - c.back);
  }
  insertSent.clear();
  insertAnswered.clear();
  await server.dropDatabase(`latpath_${r}`).catch(() => {});
  // Minus the one session that read sessions0 (counted when it ended).
  let handed = 0;
  for (const [i, s] of started) if (i >= warmup && handedIds.has(s.id)) handed++;
  return { phases, fsyncsPerRun: (wal1.fsyncs - wal0.fsyncs) / total, sessions: sessions1 - sessions0 - 1, claimsPerRun: claims / total, handed };
}

function print(label: string, results: readonly Round[]): void {
  const fmt = (x: number) => x.toFixed(2);
  console.log(`\n${label}`);
  console.log("| phase | runs seen (round 1) | p50 ms per round | p99 ms per round | median p50 / p99 |");
  console.log("|---|--:|--:|--:|--:|");
  for (const p of PHASES) {
    const p50s = results.map((x) => percentile(x.phases[p], 50));
    const p99s = results.map((x) => percentile(x.phases[p], 99));
    console.log(`| ${p} | ${results[0]!.phases[p].length} | ${p50s.map(fmt).join(" / ")} | ${p99s.map(fmt).join(" / ")} | ${fmt(median(p50s))} / ${fmt(median(p99s))} |`);
  }
  console.log(`WAL fsyncs per run (server-wide, every process): ${results.map((x) => x.fsyncsPerRun.toFixed(2)).join(" / ")}`);
  console.log(`connections opened during the loop (the store's, ended or not): ${results.map((x) => x.sessions).join(" / ")}`);
  console.log(`runs handed over by their trigger (of ${n}): ${results.map((x) => x.handed).join(" / ")}`);
  console.log(`claims asked per run: ${results.map((x) => x.claimsPerRun.toFixed(2)).join(" / ")}`);
}

const server = await startPgServer();
try {
  console.log(`pg-latency-path: ${machineLine()} · ${await server.settings()} · ${n} runs at ${perSec}/s · ${R} rounds`);
  const results: Round[] = [];
  const unsynced: Round[] = [];
  for (let r = 0; r < R; r++) {
    results.push(await round(server, r));
    if (!noFsync) continue;
    await setFsync(server, false);
    try {
      unsynced.push(await round(server, R + r));
    } finally {
      await setFsync(server, true);
    }
  }
  print("fsync on (the server's default)", results);
  if (noFsync) print("fsync off, same rounds interleaved (no disk wait)", unsynced);
} finally {
  await server.stop();
}
