/**
 * In-process tasks (docs/CONTRACT.md §5), all in ONE process, contestants interleaved per round:
 * - cached `task.run` vs `await map.get(k)` vs DataLoader `load` (cached); targets ≤ 3× the Map, ≤ 1× DataLoader;
 * - `ctx.all` over 10k distinct task objects vs "the floor": a Map memo + one settle callback per
 *   entry over `Promise.all` of 10k distinct async functions; target ≤ 1.3× the floor.
 * Time is CPU time of this process (see measure()). Knobs: BENCH_CORE_HITS (1,000,000 awaited calls
 * per sample), BENCH_CORE_ALL (10,000), BENCH_CORE_ROUNDS (7), BENCH_CORE_ALL_REPEAT (10 calls per sample).
 */
import DataLoader from "dataloader";
import { createContext, task, type Context } from "../src/core/index.ts";
import { envInt } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { median } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";
import { atMost, report, type Verdict } from "./lib/verdict.ts";

const HITS = envInt("BENCH_CORE_HITS", 1_000_000);
const ALL = envInt("BENCH_CORE_ALL", 10_000);
const ROUNDS = envInt("BENCH_CORE_ROUNDS", 7);
const ALL_REPEAT = envInt("BENCH_CORE_ALL_REPEAT", 10);

type Case = { readonly name: string; readonly ops: number; readonly run: () => Promise<unknown> };

// --- cached hits --------------------------------------------------------------------------------
const value = { id: 1, name: "Ada" };
const getUser = task(async (_ctx: Context, id: number) => ({ id, name: "Ada" }));
const getUserByQuery = task(async (_ctx: Context, q: { id: number }) => ({ id: q.id, name: "Ada" }));
const ctx = createContext();
const ctxBounded = createContext({ ttlMs: 60_000, maxEntries: 10_000 });
await getUser.run(ctx, 1);
await getUser.run(ctxBounded, 1);
await getUserByQuery.run(ctx, { id: 1 });
const map = new Map<number, Promise<typeof value>>([[1, Promise.resolve(value)]]);
const loader = new DataLoader<number, typeof value>(async (ids) => ids.map((id) => ({ id, name: "Ada" })));
await loader.load(1);

const MAP = "await map.get(k)";
const DATALOADER = "DataLoader load (cached)";
const RUN = "task.run (cached)";
const hitCases: Case[] = [
  { name: MAP, ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await map.get(1); } },
  { name: DATALOADER, ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await loader.load(1); } },
  { name: RUN, ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUser.run(ctx, 1); } },
  { name: "task.run (cached, ttl + maxEntries)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUser.run(ctxBounded, 1); } },
  { name: "task.run (cached, object input)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUserByQuery.run(ctx, { id: 1 }); } },
];

// --- ctx.all over distinct tasks ------------------------------------------------------------------
const inputs = Array.from({ length: ALL }, (_, i) => i);
/** 10k distinct async functions (the floor's tasks) and 10k distinct task objects (ctx.all's). */
const plainFns = inputs.map(() => async (i: number) => i * 2);
const distinctTasks = inputs.map(() => task(async (_ctx: Context, i: number) => i * 2));
const double = task(async (_ctx: Context, i: number) => i * 2);

/**
 * The floor (docs/CONTRACT.md §5): the least a memoising `all` pays on top of Promise.all. Per task: a memo
 * lookup by the task, and on a miss its promise, an entry, one settle callback attached to the promise
 * (knowing an entry finished is what TTL, LRU eviction, cycle detection and listener cleanup need) and
 * the Map insert; then Promise.all of the promises.
 */
interface FloorEntry {
  readonly promise: Promise<number>;
  settled: boolean;
}
const floor = () => {
  const memo = new Map<object, FloorEntry>();
  return Promise.all(inputs.map((i) => {
    const fn = plainFns[i]!;
    let e = memo.get(fn);
    if (e === undefined) {
      const entry: FloorEntry = { promise: fn(i), settled: false };
      const onSettled = () => { entry.settled = true; };
      entry.promise.then(onSettled, onSettled);
      memo.set(fn, entry);
      e = entry;
    }
    return e.promise;
  }));
};

const PLAIN = "Promise.all(10k distinct async fns)";
const FLOOR = "floor: Map memo + settle callback over Promise.all";
const ALL_DISTINCT = "ctx.all(10k distinct task objects)";
const allCases: Case[] = [
  { name: PLAIN, ops: ALL, run: () => Promise.all(inputs.map((i) => plainFns[i]!(i))) },
  { name: FLOOR, ops: ALL, run: floor },
  { name: ALL_DISTINCT, ops: ALL, run: () => createContext().all(inputs.map((i) => distinctTasks[i]!.bind(i))) },
  { name: "ctx.all(one task, 10k inputs)", ops: ALL, run: () => createContext().all(inputs.map((i) => double.bind(i))) },
];

/**
 * ns per op of every case, sampled ROUNDS times. Within a round every case runs once, in an order
 * rotated from round to round (no case always runs right after the same neighbour). The clock is the
 * process's CPU time (user + system, all threads, so GC helper threads count): the machine is shared,
 * and CPU time is far less disturbed by other processes than wall time. Before each sample: a full GC,
 * then a random amount of short-lived garbage, so the young-generation collections fall at a different
 * point of the batches in every round instead of always at the same (lucky or unlucky) one.
 */
async function measure(cases: Case[], repeat: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) for (let w = 0; w < Math.min(repeat, 3); w++) await c.run(); // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(j + r) % cases.length]!;
      globalThis.gc?.();
      shiftGcPhase();
      const t0 = process.cpuUsage();
      for (let k = 0; k < repeat; k++) await c.run();
      const used = process.cpuUsage(t0);
      out.get(c.name)!.push(((used.user + used.system) * 1000) / (c.ops * repeat));
    }
  }
  return out;
}

/** Module-level, so the allocations cannot be optimised away. */
let sink: unknown;
function shiftGcPhase(): boolean {
  const n = Math.floor(Math.random() * 200_000);
  for (let i = 0; i < n; i++) sink = { i };
  return sink !== undefined;
}

const fmt = (ns: number) => (ns < 100 ? ns.toFixed(1) : ns.toFixed(0));
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const med = (m: Map<string, number[]>, name: string) => median(m.get(name)!);
/** The ratio a/b of each round (the two were measured next to each other), as text. */
const perRound = (m: Map<string, number[]>, a: string, b: string) =>
  m.get(a)!.map((v, i) => (v / m.get(b)![i]!).toFixed(2)).join(" ");

const verdicts: Verdict[] = [];
function verdict(what: string, ratio: number, peer: string, target: number): void {
  verdicts.push(atMost(`${what} vs ${peer}`, ratio, target, (v) => `${v.toFixed(2)}× ${peer}`, `≤ ${target}×`));
}

console.log(
  `core: ${machineLine()} · ${HITS.toLocaleString("en-US")} hits, ${ALL.toLocaleString("en-US")}-task all × ${ALL_REPEAT} per sample · ${ROUNDS} rounds (medians, CPU time)`,
);

const hits = await measure(hitCases, 1);
const mapNs = med(hits, MAP);
const dlNs = med(hits, DATALOADER);
printTable(
  "Cached hit, ns per awaited call (target: task.run ≤ 3× Map, ≤ 1× DataLoader)",
  ["contestant", "ns/op", "vs Map", "vs DataLoader", "samples"],
  hitCases.map((c) => {
    const ns = med(hits, c.name);
    return [c.name, fmt(ns), x(ns, mapNs), x(ns, dlNs), hits.get(c.name)!.map(fmt).join(" ")];
  }),
);

const alls = await measure(allCases, ALL_REPEAT);
const plainNs = med(alls, PLAIN);
const floorNs = med(alls, FLOOR);
printTable(
  `All over ${ALL.toLocaleString("en-US")} distinct tasks, ns per task (target: ctx.all ≤ 1.3× the floor)`,
  ["contestant", "ns/task", "vs floor", "vs Promise.all", "samples"],
  allCases.map((c) => {
    const ns = med(alls, c.name);
    return [c.name, fmt(ns), x(ns, floorNs), x(ns, plainNs), alls.get(c.name)!.map(fmt).join(" ")];
  }),
);
console.log(`per-round ctx.all / floor: ${perRound(alls, ALL_DISTINCT, FLOOR)}\n`);

const runNs = med(hits, RUN);
verdict("task.run (cached)", runNs / mapNs, "await map.get(k)", 3);
verdict("task.run (cached)", runNs / dlNs, "DataLoader load (cached)", 1);
verdict("ctx.all over 10k distinct tasks", med(alls, ALL_DISTINCT) / floorNs, "the floor (Map memo + settle callback)", 1.3);
report("core", verdicts);
