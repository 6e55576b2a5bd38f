/**
 * Cron schedules: declared on tasks (`schedule` option, id `task:<taskId>`) or created at run time
 * (`engine.schedules.create`). Every worker runs a scheduler; each fire time triggers exactly one run,
 * however many workers tick at once: the run's idempotency key is `schedule:<id>:<fire time ISO>`
 * (the store dedupes) and advancing `nextFireAt` is a compare-and-set.
 *
 * Missed fires (no worker ran at that time): only the LATEST missed fire time runs, once — no storm
 * of catch-up runs after downtime. The run's payload tells it `scheduledAt` and `lastScheduledAt`.
 */
import { newId } from "../store/ids.ts";
import type { ScheduleRecord, Store } from "../store/types.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import type { JsonCap } from "../vocabulary/limits.ts";
import { checkName } from "../vocabulary/validate.ts";
import { retryLost } from "./retry-lost.ts";
import { latestFireUpTo, nextFireAfter, normalizeSchedule, validateSchedule, type NormalizedSchedule } from "./cron.ts";
import type { AnyTask, RunHandle, ScheduleApi, ScheduleView, TriggerOptions } from "./types.ts";

export interface ScheduleDeps {
  readonly store: Store;
  readonly tasks: ReadonlyMap<string, AnyTask>;
  now(): number;
  /** What a schedule's payload may be (limits.payloadBytes). @default no byte cap */
  readonly payloadCap?: JsonCap;
  trigger(task: AnyTask, payload: unknown, options: TriggerOptions, internal: { readonly scheduleId: string }): Promise<RunHandle>;
}

function toView(s: ScheduleRecord): ScheduleView {
  return {
    id: s.id,
    taskId: s.taskId,
    cron: s.cron,
    timezone: s.timezone,
    payload: fromJson(s.payload),
    source: s.source,
    nextFireAt: new Date(s.nextFireAt),
    lastFireAt: s.lastFireAt === null ? null : new Date(s.lastFireAt),
  };
}

export function createScheduleApi(deps: ScheduleDeps, ready: () => Promise<void> = async () => {}): ScheduleApi {
  return {
    async create(options) {
      if (options === null || typeof options !== "object") throw new TypeError("engine.schedules.create: expected { task, cron, … }");
      const taskId = typeof options.task === "string" ? options.task : options.task?.id;
      const task = typeof taskId === "string" ? deps.tasks.get(taskId) : undefined;
      if (task === undefined) {
        throw new Error(`engine.schedules.create: unknown task ${JSON.stringify(taskId)} (registered: ${[...deps.tasks.keys()].join(", ")})`);
      }
      const s = validateSchedule({ cron: options.cron, timezone: options.timezone }, "engine.schedules.create");
      if (options.key !== undefined) checkName(options.key, "engine.schedules.create: option `key`");
      const payload = options.payload === undefined ? null : toJson(options.payload, "the payload of a schedule", deps.payloadCap);
      await ready();
      const now = deps.now();
      const id = options.key !== undefined ? `key:${options.key}` : newId(now);
      const record = await deps.store.upsertSchedule({
        schedule: { id, taskId: task.id, cron: s.cron, timezone: s.timezone, payload, source: "dynamic", nextFireAt: nextFireAfter(s, now), lastFireAt: null },
        now,
      });
      return toView(record);
    },
    async list() {
      await ready();
      return (await deps.store.listSchedules()).map(toView);
    },
    async delete(id) {
      checkName(id, "engine.schedules.delete: `id`");
      await ready();
      return deps.store.deleteSchedule({ id });
    },
  };
}

/** Registers declared schedules (keeping the stored next fire time when the expression is unchanged). */
export async function syncDeclaredSchedules(deps: ScheduleDeps): Promise<void> {
  const existing = new Map((await deps.store.listSchedules()).map((s) => [s.id, s]));
  const now = deps.now();
  for (const task of deps.tasks.values()) {
    if (task.options.schedule === undefined) {
      // The task no longer declares a schedule: its stored one must stop firing.
      if (existing.get(`task:${task.id}`)?.source === "declared") await deps.store.deleteSchedule({ id: `task:${task.id}` });
      continue;
    }
    const s = normalizeSchedule(task.options.schedule);
    const id = `task:${task.id}`;
    const old = existing.get(id);
    if (old !== undefined && old.cron === s.cron && old.timezone === s.timezone) continue;
    await deps.store.upsertSchedule({
      schedule: { id, taskId: task.id, cron: s.cron, timezone: s.timezone, payload: null, source: "declared", nextFireAt: nextFireAfter(s, now), lastFireAt: old?.lastFireAt ?? null },
      now,
    });
  }
}

/** Fires one due schedule; returns whether this caller triggered (or found) its run and advanced it. */
export async function fireSchedule(deps: ScheduleDeps, s: ScheduleRecord, now: number): Promise<boolean> {
  const task = deps.tasks.get(s.taskId);
  if (task === undefined) return false; // another process knows this task; let it fire
  const norm: NormalizedSchedule = { cron: s.cron, timezone: s.timezone };
  // The latest fire time <= now (missed fires collapse into it).
  const fireAt = latestFireUpTo(norm, s.nextFireAt, now);
  const base = fromJson<unknown>(s.payload);
  const payload = {
    ...(base !== null && typeof base === "object" && !Array.isArray(base) ? base : {}),
    scheduledAt: new Date(fireAt).toISOString(),
    lastScheduledAt: s.lastFireAt === null ? null : new Date(s.lastFireAt).toISOString(),
    scheduleId: s.id,
  };
  await deps.trigger(task, payload, { idempotencyKey: `schedule:${s.id}:${new Date(fireAt).toISOString()}` }, { scheduleId: s.id });
  return deps.store.advanceSchedule({ id: s.id, expectedNextFireAt: s.nextFireAt, lastFireAt: fireAt, nextFireAt: nextFireAfter(norm, now), now });
}

export interface Scheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Fires what is due now; returns how many schedules this call advanced. */
  tick(): Promise<number>;
}

export function createScheduler(deps: ScheduleDeps & { readonly pollIntervalMs?: number }): Scheduler {
  const pollIntervalMs = deps.pollIntervalMs ?? 5000;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let current: Promise<unknown> = Promise.resolve();

  const tick = async (): Promise<number> => {
    const now = deps.now();
    let advanced = 0;
    const errors: unknown[] = [];
    for (const s of await deps.store.listSchedules()) {
      if (s.nextFireAt > now) continue;
      // One schedule failing (e.g. its payload fails the task's schema) must not hold back the others.
      try {
        if (await fireSchedule(deps, s, now)) advanced++;
      } catch (error) {
        errors.push(new Error(`schedule "${s.id}" (task "${s.taskId}") could not fire: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} schedules could not fire`);
    return advanced;
  };

  const loop = async () => {
    if (!running) return;
    let delay = pollIntervalMs;
    try {
      await tick();
      const next = Math.min(...(await deps.store.listSchedules()).map((s) => s.nextFireAt));
      if (Number.isFinite(next)) delay = Math.max(5, Math.min(pollIntervalMs, next - deps.now() + 5));
    } catch {
      // the store may be down for a moment: try again at the next poll
    }
    if (running) {
      timer = setTimeout(() => {
        current = loop();
      }, delay);
      timer.unref?.();
    }
  };

  return {
    async start() {
      if (running) return;
      await retryLost(() => syncDeclaredSchedules(deps));
      running = true;
      current = loop();
      await current;
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      await current.catch(() => {});
    },
    tick,
  };
}
