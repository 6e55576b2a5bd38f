/**
 * Trigger (enqueue) rows/s, single and bulk. PostgreSQL: Errand `trigger` / `batchTrigger` vs
 * graphile-worker `addJob` / `addJobs` (target bulk ≥ 1×). SQLite (NORMAL and FULL): Errand vs
 * plainjob `add` / `addMany`. "single" = one call at a time, each awaited (a durable commit per row);
 * "bulk" = batches of BENCH_BULK_BATCH rows, one transaction each. Every contestant first writes
 * BENCH_SINGLE_WARMUP / BENCH_BULK_WARMUP rows the same way, untimed, in the same process and
 * database (a short timed run in a fresh process measures mostly cold JavaScript and one scheduler stall).
 * Knobs: BENCH_SINGLE_N (2000), BENCH_SINGLE_WARMUP (200), BENCH_BULK_N (20000), BENCH_BULK_WARMUP (2000),
 * BENCH_BULK_BATCH (1000), BENCH_ROUNDS (3),
 * BENCH_TRIGGER_STORES (postgres,NORMAL,FULL: which stores to measure; e.g. `NORMAL` for SQLite with
 * synchronous NORMAL only).
 */
import { envInt, envList, rounds } from "./lib/env.ts";
import { runInChild } from "./lib/child.ts";
import { machineLine } from "./lib/machine.ts";
import { startPgServer } from "./lib/pg-server.ts";
import { medianOf, runRounds, samplesOf } from "./lib/rounds.ts";
import { fmtInt, ratio } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { tempDir } from "./lib/tmp.ts";
import type { Rate } from "./lib/contestants/types.ts";
import { atLeast, report, type Verdict } from "./lib/verdict.ts";

const singleN = envInt("BENCH_SINGLE_N", 2000);
const bulkN = envInt("BENCH_BULK_N", 20_000);
const warmups = { single: envInt("BENCH_SINGLE_WARMUP", 200), bulk: envInt("BENCH_BULK_WARMUP", 2000) };
const batch = envInt("BENCH_BULK_BATCH", 1000);
const R = rounds();
const stores = new Set(envList("BENCH_TRIGGER_STORES", ["postgres", "NORMAL", "FULL"]));
for (const s of stores) {
  if (!["postgres", "NORMAL", "FULL"].includes(s)) throw new TypeError(`bench: BENCH_TRIGGER_STORES: unknown store ${JSON.stringify(s)} (known: postgres, NORMAL, FULL)`);
}
const modes = [
  { mode: "single", n: singleN },
  { mode: "bulk", n: bulkN },
] as const;

const rows: string[][] = [];
const verdicts: Verdict[] = [];
/** The targets: bulk ≥ 1× graphile-worker and ≥ 0.5× plainjob; single ≥ 1× both. */
const goal = (peer: string, mode: string): number => (mode === "bulk" && peer.startsWith("plainjob") ? 0.5 : 1);
const addRows = (where: string, peer: string, out: Awaited<ReturnType<typeof runRounds<Rate>>>, mode: string, n: number): void => {
  const e = out.get("Errand");
  const p = out.get(peer);
  const eMed = medianOf(e, (x) => x.perSec);
  const pMed = medianOf(p, (x) => x.perSec);
  const g = goal(peer, mode);
  verdicts.push(
    atLeast(
      `${mode} trigger rows/s, ${where}${mode === "bulk" ? ` (${batch} per call)` : " (one awaited call per row)"}`,
      eMed !== undefined && pMed !== undefined ? eMed / pMed : undefined,
      g,
      (v) => `${v.toFixed(2)}× ${peer} (${fmtInt(eMed)} vs ${fmtInt(pMed)} rows/s)`,
      `≥ ${g}×`,
    ),
  );
  rows.push([`${where} ${mode}`, "Errand", fmtInt(n), fmtInt(eMed), samplesOf(e, (x) => x.perSec), ratio(eMed, pMed)]);
  rows.push([`${where} ${mode}`, peer, fmtInt(n), fmtInt(pMed), samplesOf(p, (x) => x.perSec), "1.00×"]);
};

const server = stores.has("postgres") ? await startPgServer() : null;
const dir = tempDir("trigger");
try {
  console.log(
    `trigger: ${machineLine()} · ${server === null ? "no PostgreSQL" : await server.settings()} · bulk batch ${batch} · untimed warm-up ${warmups.single} single / ${warmups.bulk} bulk rows · ${R} rounds`,
  );
  for (const { mode, n } of server === null ? [] : modes) {
    const out = await runRounds<Rate>(
      [
        {
          name: "Errand",
          run: async (r) =>
            runInChild<Rate>("errand", "enqueue", { target: { kind: "postgres", url: await server!.freshDatabase(`trig_e_${mode}_${r}`) }, n, mode, batch, warmup: warmups[mode] })
              .result,
        },
        {
          name: "graphile-worker addJob(s)",
          run: async (r) =>
            runInChild<Rate>("graphile", "enqueue", { url: await server!.freshDatabase(`trig_g_${mode}_${r}`), n, mode, batch, warmup: warmups[mode] }).result,
        },
      ],
      R,
      `[pg ${mode}] `,
    );
    addRows("PostgreSQL", "graphile-worker addJob(s)", out, mode, n);
  }
  for (const synchronous of (["NORMAL", "FULL"] as const).filter((s) => stores.has(s))) {
    for (const { mode, n } of modes) {
      const out = await runRounds<Rate>(
        [
          {
            name: "Errand",
            run: (r) =>
              runInChild<Rate>("errand", "enqueue", {
                target: { kind: "sqlite", path: dir.file(`e-${synchronous}-${mode}-${r}.db`), synchronous },
                n,
                mode,
                batch,
                warmup: warmups[mode],
              }).result,
          },
          {
            name: "plainjob add(Many)",
            run: (r) =>
              runInChild<Rate>("plainjob", "enqueue", { path: dir.file(`p-${synchronous}-${mode}-${r}.db`), n, mode, batch, synchronous, warmup: warmups[mode] })
                .result,
          },
        ],
        R,
        `[sqlite ${synchronous} ${mode}] `,
      );
      addRows(`SQLite ${synchronous}`, "plainjob add(Many)", out, mode, n);
    }
  }
} finally {
  dir.remove();
  await server?.stop();
}
printTable(
  `Trigger rows/s — single: one awaited call per row; bulk: ${batch} rows per call — median of ${R}; target bulk Errand/graphile-worker ≥ 1×`,
  ["store, mode", "contestant", "rows", "rows/s (median)", "samples", "Errand / peer"],
  rows,
  2,
);
report("trigger", verdicts);
