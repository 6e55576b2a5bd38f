/**
 * In-process tasks (docs/CONTRACT.md §5), all in ONE process, contestants interleaved per round:
 * - cached `task.run` vs `await map.get(k)` vs DataLoader `load` (cached); targets ≤ 3× the Map, ≤ 1× DataLoader;
 * - `ctx.all` over 10k distinct tasks vs `Promise.all` of plain async functions; target ≤ 2×.
 * Time is CPU time of this process (see measure()). Knobs: BENCH_CORE_HITS (1,000,000 awaited calls per sample), BENCH_CORE_ALL (10,000), BENCH_CORE_ROUNDS (7).
 */
import DataLoader from "dataloader";
import { createContext, task, type Context } from "../src/core/index.ts";
import { envInt } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";
import { median } from "./lib/stats.ts";
import { printTable } from "./lib/table.ts";

const HITS = envInt("BENCH_CORE_HITS", 1_000_000);
const ALL = envInt("BENCH_CORE_ALL", 10_000);
const ROUNDS = envInt("BENCH_CORE_ROUNDS", 7);

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

const hitCases: Case[] = [
  { name: "await map.get(k)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await map.get(1); } },
  { name: "DataLoader load (cached)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await loader.load(1); } },
  { name: "task.run (cached)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUser.run(ctx, 1); } },
  { name: "task.run (cached, ttl + maxEntries)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUser.run(ctxBounded, 1); } },
  { name: "task.run (cached, object input)", ops: HITS, run: async () => { for (let i = 0; i < HITS; i++) await getUserByQuery.run(ctx, { id: 1 }); } },
];

// --- ctx.all over distinct tasks ------------------------------------------------------------------
const inputs = Array.from({ length: ALL }, (_, i) => i);
const plain = async (i: number) => i * 2;
const double = task(async (_ctx: Context, i: number) => i * 2);
const distinctTasks = inputs.map(() => task(async (_ctx: Context, i: number) => i * 2));

/**
 * Floors, not products: the least any promise-memoising layer pays on top of Promise.all — a Map entry
 * per input, and a Map entry plus one settle callback (needed to know an entry finished: TTL, LRU,
 * cycle detection, listener cleanup). They show what bounds the ctx.all ratio.
 */
const floorMap = () => {
  const m = new Map<number, Promise<number>>();
  return Promise.all(inputs.map((i) => {
    const p = plain(i);
    m.set(i, p);
    return p;
  }));
};
const floorMapSettle = () => {
  const m = new Map<number, { p: Promise<number>; settled: boolean }>();
  return Promise.all(inputs.map((i) => {
    const e = { p: plain(i), settled: false };
    m.set(i, e);
    e.p.then(() => (e.settled = true), () => (e.settled = true));
    return e.p;
  }));
};

const allCases: Case[] = [
  { name: "Promise.all(plain async fns)", ops: ALL, run: () => Promise.all(inputs.map((i) => plain(i))) },
  { name: "floor: + Map memo", ops: ALL, run: floorMap },
  { name: "floor: + Map memo + settle callback", ops: ALL, run: floorMapSettle },
  { name: "ctx.all(one task, 10k inputs)", ops: ALL, run: () => createContext().all(inputs.map((i) => double.bind(i))) },
  { name: "ctx.all(10k task objects)", ops: ALL, run: () => createContext().all(inputs.map((i) => distinctTasks[i]!.bind(i))) },
];

/**
 * ns per op of every case, sampled ROUNDS times, cases interleaved within each round. The clock is
 * the process's CPU time (user + system, all threads, so GC helpers count): the machine is shared,
 * and CPU time is far less disturbed by other processes than wall time.
 */
async function measure(cases: Case[], repeat: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) for (let w = 0; w < Math.min(repeat, 3); w++) await c.run(); // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      globalThis.gc?.();
      const t0 = process.cpuUsage();
      for (let k = 0; k < repeat; k++) await c.run();
      const used = process.cpuUsage(t0);
      const ns = ((used.user + used.system) * 1000) / (c.ops * repeat);
      out.get(c.name)!.push(ns);
    }
  }
  return out;
}

const fmt = (ns: number) => (ns < 100 ? ns.toFixed(1) : ns.toFixed(0));
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

console.log(`core: ${machineLine()} · ${HITS.toLocaleString("en-US")} hits, ${ALL.toLocaleString("en-US")}-task all · ${ROUNDS} rounds (medians)`);

const hits = await measure(hitCases, 1);
const med = (m: Map<string, number[]>, name: string) => median(m.get(name)!);
const mapNs = med(hits, "await map.get(k)");
const dlNs = med(hits, "DataLoader load (cached)");
printTable(
  "Cached hit, ns per awaited call (target: task.run ≤ 3× Map, ≤ 1× DataLoader)",
  ["contestant", "ns/op", "vs Map", "vs DataLoader", "samples"],
  hitCases.map((c) => {
    const ns = med(hits, c.name);
    return [c.name, fmt(ns), x(ns, mapNs), x(ns, dlNs), hits.get(c.name)!.map(fmt).join(" ")];
  }),
);

const alls = await measure(allCases, 10);
const plainNs = med(alls, "Promise.all(plain async fns)");
printTable(
  `All over ${ALL.toLocaleString("en-US")} distinct tasks, ns per task (target: ctx.all ≤ 2× Promise.all)`,
  ["contestant", "ns/task", "vs Promise.all", "samples"],
  allCases.map((c) => {
    const ns = med(alls, c.name);
    return [c.name, fmt(ns), x(ns, plainNs), alls.get(c.name)!.map(fmt).join(" ")];
  }),
);

const runNs = med(hits, "task.run (cached)");
const allNs = med(alls, "ctx.all(one task, 10k inputs)");
console.log(
  `\ntargets: run/Map ${x(runNs, mapNs)} (≤ 3×) ${runNs <= 3 * mapNs ? "met" : "MISSED"}; ` +
    `run/DataLoader ${x(runNs, dlNs)} (≤ 1×) ${runNs <= dlNs ? "met" : "MISSED"}; ` +
    `all/Promise.all ${x(allNs, plainNs)} (≤ 2×) ${allNs <= 2 * plainNs ? "met" : "MISSED"}`,
);
