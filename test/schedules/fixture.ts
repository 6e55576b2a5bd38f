/** An engine on a temp SQLite file with a hand-driven clock, and a scheduler wired to it. */
import { createEngine, type AnyTask, type Engine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { createScheduler, type ScheduleDeps } from "../../src/engine/schedules.ts";
import { tempDb } from "../support/temp.ts";

export interface Clocked {
  readonly engine: Engine;
  readonly deps: ScheduleDeps;
  readonly scheduler: ReturnType<typeof createScheduler>;
  set(iso: string | number): void;
  now(): number;
}

/** `path` lets two "processes" (two stores) share one database file. Migrated, as a worker's engine is. */
export async function clocked(tasks: readonly AnyTask[], start: string, path = tempDb(), clock?: { t: number }): Promise<Clocked> {
  const c = clock ?? { t: Date.parse(start) };
  const now = () => c.t;
  const store = sqliteStore({ path });
  const engine = createEngine({ store, tasks, clock: now });
  await store.migrate();
  const deps: ScheduleDeps = {
    store,
    tasks: engine.tasks,
    now,
    trigger: (task, payload, options) => engine.trigger(task, payload as never, options),
  };
  return {
    engine,
    deps,
    scheduler: createScheduler({ ...deps, pollIntervalMs: 60_000 }),
    set: (v) => void (c.t = typeof v === "number" ? v : Date.parse(v)),
    now,
  };
}

export interface TickRun {
  readonly idempotencyKey: string | null;
  readonly payload: { scheduledAt: string; lastScheduledAt: string | null; scheduleId: string; [k: string]: unknown };
}

/** Every run of `taskId`, oldest fire time first. */
export async function runsOf(engine: Engine, taskId: string): Promise<TickRun[]> {
  const { runs } = await engine.runs.list({ taskId, limit: 1000 });
  return (runs as unknown as TickRun[]).slice().sort((a, b) => a.payload.scheduledAt.localeCompare(b.payload.scheduledAt));
}
