/**
 * Flow control across 3 processes, on both stores (docs/CONTRACT.md §7): a queue rate limit holds
 * across worker processes, and debounced triggers from several processes leave one pending run.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine } from "errand";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "errand/store";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { tempDb, until } from "../support/temp.ts";
import { flowTasks, RATE } from "./fixtures/flow-tasks.ts";

const PROCESS = fileURLToPath(new URL("./fixtures/flow-process.ts", import.meta.url));
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await stopTestPgServer();
});

interface Target {
  readonly name: string;
  /** The store spec for the child processes, and a store for this process. */
  open(): Promise<{ spec: string; store: Store }>;
}

const TARGETS: Target[] = [
  {
    name: "sqlite",
    async open() {
      const path = tempDb();
      return { spec: JSON.stringify({ sqlite: path }), store: sqliteStore({ path }) };
    },
  },
  {
    name: "postgres",
    async open() {
      const url = await freshDatabase("errand_flow");
      const schema = uniqueSchema();
      return { spec: JSON.stringify({ postgres: url, schema }), store: postgresStore({ connectionString: url, schema }) };
    },
  },
];

/** Starts a child process; resolves once it printed "ready". Collects its stdout. */
function start(args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", PROCESS, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve({ child, out: () => out });
    });
    child.on("exit", (code) => reject(new Error(`process exited early with ${code}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

for (const target of TARGETS) {
  describe(`flow control across 3 processes on ${target.name}`, { timeout: 180_000 }, () => {
    it("a queue rate limit holds across 3 worker processes: never more than `limit` starts within `period`", async () => {
      const { spec, store } = await target.open();
      const { ratelimited, debounced } = flowTasks();
      const engine = createEngine({ store, tasks: [ratelimited, debounced] });
      try {
        const handles = await engine.batchTrigger(ratelimited, Array.from({ length: 30 }, () => undefined));
        const workers = await Promise.all([0, 1, 2].map(() => start(["worker", spec])));
        const results = await Promise.all(handles.map((h) => engine.runs.wait(h, { timeoutMs: 120_000 })));
        const codes = Promise.all(workers.map((w) => exited(w.child)));
        for (const w of workers) w.child.kill("SIGTERM");
        assert.deepEqual(await codes, [0, 0, 0]);
        const pids = results.map((r) => r.unwrap());
        const perProcess = new Map<unknown, number>();
        for (const p of pids) perProcess.set(p, (perProcess.get(p) ?? 0) + 1);
        console.log(`${target.name}: runs per worker process: ${JSON.stringify([...perProcess.values()])}`);
        const starts = (await Promise.all(handles.map((h) => engine.runs.get(h.id)))).map((r) => r!.startedAt!.getTime()).sort((a, b) => a - b);
        for (let i = 0; i + RATE.limit < starts.length; i++) {
          const span = starts[i + RATE.limit]! - starts[i]!;
          assert.ok(span >= RATE.periodMs, `starts ${i}..${i + RATE.limit} (${RATE.limit + 1} starts) fall within ${span} ms < ${RATE.periodMs} ms`);
        }
      } finally {
        await engine.close();
      }
    });

    it("debounced triggers from 3 processes at once leave exactly one pending run, the one every handle names", async () => {
      const { spec, store } = await target.open();
      const { ratelimited, debounced } = flowTasks();
      const engine = createEngine({ store, tasks: [ratelimited, debounced] });
      try {
        const procs = await Promise.all([0, 1, 2].map(() => start(["debounce", spec, "20"])));
        const done = procs.map((p) => exited(p.child));
        for (const p of procs) p.child.stdin!.write("go\n");
        assert.deepEqual(await Promise.all(done), [0, 0, 0]);
        const handles = procs.flatMap((p) => JSON.parse(p.out().split("\n").find((l) => l.startsWith("["))!) as { id: string; created: boolean }[]);
        assert.equal(handles.length, 60);
        assert.equal(handles.filter((h) => h.created).length, 1, "one trigger created the run");
        assert.equal(new Set(handles.map((h) => h.id)).size, 1, "every trigger got that run");
        const runs = (await engine.runs.list({ taskId: debounced.id })).runs;
        assert.equal(runs.length, 1, "one run of the task");
        assert.equal(runs[0]!.status, "delayed");
        await until(async () => (await engine.runs.stats()).byStatus.delayed === 1, "stats count one pending run");
      } finally {
        await engine.close();
      }
    });
  });
}
