/**
 * A real engine on a temp SQLite file with three tasks, seeded with finished runs, for the dashboard
 * tests: `greet` (steps + logs, completes), `explode` (a step, logs, then fails with HTML in the
 * message), `typed` (a zod schema).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createEngine, defineTask } from "../../src/index.ts";
import { sqliteStore } from "../../src/sqlite/index.ts";
import type { Engine, Worker } from "../../src/engine/types.ts";
import type { Store } from "../../src/store/types.ts";

export const XSS = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`;

export const greet = defineTask({
  id: "greet",
  title: "Greet someone",
  description: "Says hello in two steps",
  run: async (payload: { name: string }, ctx) => {
    const upper = await ctx.step("shout", () => payload.name.toUpperCase());
    ctx.log.info("greeting", { upper });
    await ctx.step("wrap", () => `hello ${upper}`);
    return { greeting: `hello ${upper}` };
  },
});

export const explode = defineTask({
  id: "explode",
  retry: { maxAttempts: 1 },
  run: async (payload: { note: string }, ctx) => {
    await ctx.step("prepare", () => ({ prepared: true }));
    ctx.log.warn("about to fail", { note: payload.note });
    throw new Error(`boom ${payload.note}`);
  },
});

export const typed = defineTask({
  id: "typed",
  schema: z.object({ count: z.number().int().min(1) }),
  run: async (payload) => ({ doubled: payload.count * 2 }),
});

export interface Fixture {
  readonly engine: Engine;
  readonly dir: string;
  /** Ids of the seeded runs. */
  readonly greetId: string;
  readonly explodeId: string;
  /** Starts a worker (stopped by close). */
  startWorker(): Promise<Worker>;
  close(): Promise<void>;
}

/** Creates the engine (SQLite unless `store` is given) and, unless `seed` is false, runs one `greet` and one failing `explode` (XSS in payload and error). */
export async function createFixture(options: {
  readonly seed?: boolean;
  /** Another store (e.g. PostgreSQL); default a SQLite file in a temp folder. */
  readonly store?: Store;
} = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "errand-dashboard-"));
  const store = options.store ?? sqliteStore({ path: join(dir, "errand.db") });
  const engine = createEngine({ store, tasks: [greet, explode, typed] });
  const workers: Worker[] = [];
  const startWorker = async () => {
    const worker = engine.worker({ concurrency: 4, pollIntervalMs: 50 });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  let greetId = "";
  let explodeId = "";
  if (options.seed !== false) {
    const g = await engine.trigger(greet, { name: "ada" }, { tags: ["team:core"] });
    const e = await engine.trigger(explode, { note: XSS }, { tags: ["xss"] });
    greetId = g.id;
    explodeId = e.id;
    const worker = await startWorker();
    await engine.runs.wait(g.id, { timeoutMs: 20_000 });
    await engine.runs.wait(e.id, { timeoutMs: 20_000 });
    await worker.stop();
    workers.pop();
  }
  return {
    engine, dir, greetId, explodeId, startWorker,
    async close() {
      for (const w of workers) await w.stop();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
