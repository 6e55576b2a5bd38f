/** `createEngine`: tasks + a store → triggers, workers, the runs API, schedules. */
import { randomUUID } from "node:crypto";
import type { ChildTrigger } from "../durable/types.ts";
import type { CreatedRun, NewRun, RunRecord, Store } from "../store/types.ts";
import { insertsAsIs } from "../store/records.ts";
import { toMs } from "../vocabulary/duration.ts";
import { jsonCap, resolveLimits, type Limits } from "../vocabulary/limits.ts";
import { taskInternals } from "./define-task.ts";
import { pauseOf } from "./clock.ts";
import { createDurableHost } from "./durable-host.ts";
import { createLocalHandoff } from "./local-handoff.ts";
import { Emitter } from "./emitter.ts";
import { eventTable } from "./listeners.ts";
import { retryLost } from "./retry-lost.ts";
import { createRunsApi } from "./runs-api.ts";
import { createScheduleApi, createScheduler, type ScheduleDeps } from "./schedules.ts";
import { createEventSender } from "./send-event.ts";
import { createTokensApi, dashboardBase } from "./tokens.ts";
import { insertTraced, tracing } from "./tracing/trigger-spans.ts";
import { firstHandle, handleOf, isItem, plainHandle, plainHandles, prepareRun, prepareRunSync, type InternalTrigger } from "./trigger.ts";
import { queueConfigs, unlimitedQueueNames } from "./queue-configs.ts";
import type { AnyTask, Engine, RunHandle, TaskResult, TriggerOptions, Worker, WorkerOptions } from "./types.ts";
import { createWorker, type WorkerHost } from "./worker/index.ts";

export interface EngineOptions {
  /** Where runs live: `sqliteStore(...)` or `postgresStore(...)`. */
  readonly store: Store;
  /** Every durable task this engine may trigger or run (ids must be unique). */
  readonly tasks: readonly AnyTask[];
  /** Clock for all stored times (tests pass their own). @default Date.now */
  readonly clock?: () => number;
  /**
   * The public URL of the dashboard serving this engine's store (origin and base path, e.g.
   * `https://ops.example.com/errand`). Waitpoint tokens then carry a `url` to complete them over HTTP:
   * `<dashboardUrl>/api/tokens/<id>/complete`. @default none (tokens have no `url`)
   */
  readonly dashboardUrl?: string;
  /**
   * Caps on stored values (payloads, outputs, step results, log lines, tags, nesting); see
   * {@link Limits} for each default. A value over a cap is refused with an `UnstorableValueError`
   * before anything is written. @default DEFAULT_LIMITS
   */
  readonly limits?: Limits;
}

const STORE_METHODS = ["migrate", "createRuns", "claimRuns", "completeRuns", "failRun", "getRun", "listRuns", "subscribe"] as const;

export function createEngine(options: EngineOptions): Engine {
  if (options === null || typeof options !== "object") throw new TypeError("createEngine: expected options { store, tasks }");
  const { store, tasks: taskList, clock = Date.now } = options;
  if (store === null || typeof store !== "object" || STORE_METHODS.some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== "function")) {
    throw new TypeError("createEngine: option `store` must be a Store, e.g. sqliteStore({ path: \"errand.db\" })");
  }
  if (!Array.isArray(taskList)) throw new TypeError("createEngine: option `tasks` must be an array of tasks made by defineTask()");
  if (typeof clock !== "function") throw new TypeError("createEngine: option `clock` must be a function returning epoch ms");
  const dashboard = dashboardBase(options.dashboardUrl);
  const tokenUrl = (id: string) => (dashboard === null ? null : `${dashboard}/api/tokens/${id}/complete`);
  const limits = resolveLimits(options.limits, "createEngine");
  const payloadCap = jsonCap(limits, "payloadBytes");
  const tasks = new Map<string, AnyTask>();
  taskList.forEach((t, i) => {
    if (taskInternals(t) === undefined) {
      throw new TypeError(`createEngine: tasks[${i}] is not a durable task (make it with defineTask({ id, run }))`);
    }
    if (tasks.has(t.id)) throw new TypeError(`createEngine: two tasks have the id "${t.id}"; task ids must be unique`);
    tasks.set(t.id, t);
  });
  const events = eventTable(tasks.values(), (t) => taskInternals(t)!.on);
  const queues = queueConfigs(tasks.values());
  const unlimitedQueues = unlimitedQueueNames(queues);
  // Single triggers handed straight to an idle worker of this engine (local-handoff.ts).
  const handoff = createLocalHandoff(store, unlimitedQueues);

  const now = () => clock();
  const pause = pauseOf(clock);
  const local = new Emitter<{ finished: { id: string }; cancel: { id: string } }>();
  const workers = new Set<Worker>();
  let readyPromise: Promise<void> | null = null;
  /** Set once `ready()` has succeeded: triggers then skip waiting for it. */
  let started = false;
  let closed = false;

  const ready = () => {
    if (closed) return Promise.reject(new Error("engine: it is closed"));
    readyPromise ??= retryLost(async () => {
      await store.migrate();
      await store.upsertQueues({ queues });
      started = true;
    });
    readyPromise.catch(() => {
      readyPromise = null; // a failed start (e.g. database down) can be retried
    });
    return readyPromise;
  };

  const resolveTask = (task: AnyTask | string, where: string): AnyTask => {
    const id = typeof task === "string" ? task : task?.id;
    const found = typeof id === "string" ? tasks.get(id) : undefined;
    if (found === undefined) {
      throw new Error(`${where}: unknown task ${JSON.stringify(id)} (registered: ${[...tasks.keys()].join(", ") || "none"})`);
    }
    return found;
  };

  /** Validates every item first, then inserts all in one store call (one transaction). */
  const triggerMany = async (items: readonly TriggerItem[]): Promise<RunHandle<never>[]> => {
    if (!started || closed) await ready();
    const t = now();
    // Tasks without a schema have nothing to await: their rows are prepared without a promise each.
    const runs = items.every((i) => i.task.options.schema === undefined)
      ? items.map((i) => prepareRunSync(i.task, i.payload, i.options, t, limits, i.internal))
      : await Promise.all(items.map((i) => prepareRun(i.task, i.payload, i.options, t, limits, i.internal)));
    return (await createRuns(runs, t)).map(handleOf);
  };

  /** Inserts prepared runs in one store call (one transaction), traced when a tracer provider is registered. */
  const createRuns = (runs: readonly NewRun[], t: number): Promise<readonly CreatedRun[]> =>
    insertTraced(runs, (r) => store.createRuns({ runs: r, now: t }));

  /** {@link triggerMany} for a batch of one task without a schema: the rows straight from the items, in one pass. */
  const batchWithoutSchema = async (task: AnyTask, items: readonly unknown[]): Promise<RunHandle<never>[]> => {
    if (!started || closed) await ready();
    const t = now();
    const runs: NewRun[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      runs[i] = isItem(item) ? prepareRunSync(task, item.payload, item.options, t, limits) : prepareRunSync(task, item, undefined, t, limits);
    }
    if (store.createPlainRuns !== undefined && !tracing() && runs.every(insertsAsIs)) return store.createPlainRuns(runs, t, plainHandles(runs));
    return (await createRuns(runs, t)).map(handleOf);
  };

  /**
   * One trigger: {@link triggerMany} of one item without the arrays, and for a task without a schema
   * without a promise of its own before the store's (nothing is awaited but the insert).
   */
  const triggerOne = (task: AnyTask, payload: unknown, options: TriggerOptions | undefined): Promise<RunHandle<never>> => {
    if (!started || closed || task.options.schema !== undefined) return triggerOneAsync(task, payload, options);
    const t = now();
    let run: NewRun;
    try {
      run = prepareRunSync(task, payload, options, t, limits);
    } catch (error) {
      return Promise.reject(error);
    }
    return insertOne(run, t);
  };

  /** {@link triggerOne} before the engine has started, or for a task with a schema (validated asynchronously). */
  const triggerOneAsync = async (task: AnyTask, payload: unknown, options: TriggerOptions | undefined): Promise<RunHandle<never>> => {
    await ready();
    const t = now();
    const run = task.options.schema === undefined ? prepareRunSync(task, payload, options, t, limits) : await prepareRun(task, payload, options, t, limits);
    return insertOne(run, t);
  };

  /**
   * One run: handed to an idle local worker when one takes it (local-handoff.ts), else the store's
   * plain fast path when it has one and the run qualifies (see {@link plainHandle}), else createRuns.
   */
  const insertOne = (run: NewRun, t: number): Promise<RunHandle<never>> => {
    try {
      if (tracing()) return createRuns([run], t).then(firstHandle);
      const handed = handoff.tryHandOff(run, t);
      if (handed !== null) return handed;
      const handle = store.createPlainRun === undefined ? null : plainHandle(run);
      if (handle !== null) return store.createPlainRun!(run, t, handle);
      return store.createRuns({ runs: [run], now: t }).then(firstHandle);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const triggerChildren = (parent: RunRecord, items: readonly ChildTrigger[]) =>
    triggerMany(
      items.map((i) => ({
        task: resolveTask(i.task, "ctx.trigger"),
        payload: i.payload,
        options: i.options,
        internal: { parentRunId: parent.id },
      })),
    );

  const scheduleDeps: ScheduleDeps = {
    store,
    tasks,
    now,
    payloadCap,
    trigger: async (task, payload, options, internal) =>
      (await triggerMany([{ task, payload, options, internal: { scheduleId: internal.scheduleId } }]))[0]!,
  };

  const workerHost: WorkerHost = {
    store,
    tasks,
    now,
    ready,
    durableHost: (workerId, onProgress) =>
      createDurableHost({ store, workerId, now, triggerChildren, onProgress, tokenUrl, limits, ...(pause === undefined ? {} : { pause }) }),
    local,
    createScheduler: () => createScheduler(scheduleDeps),
    handoffs: handoff.targets,
    unlimitedQueues,
  };

  const runs = createRunsApi({ store, now, ready, local, known: new Set(tasks.keys()) });

  const engine: Engine = {
    store: { name: store.name, migrate: () => store.migrate() },
    tasks,

    // One implementation behind the typed overloads: the output type is carried by the handle only.
    trigger(task: AnyTask | string, payload: unknown, options?: TriggerOptions): Promise<RunHandle<never>> {
      let t: AnyTask;
      try {
        t = resolveTask(task, "engine.trigger");
      } catch (error) {
        return Promise.reject(error);
      }
      return triggerOne(t, payload, options);
    },

    async batchTrigger(task: AnyTask | string, items: readonly unknown[]): Promise<RunHandle<never>[]> {
      const t = resolveTask(task, "engine.batchTrigger");
      if (!Array.isArray(items)) throw new TypeError("engine.batchTrigger: `items` must be an array");
      if (t.options.schema === undefined) return batchWithoutSchema(t, items);
      return triggerMany(
        items.map((item) =>
          isItem(item) ? { task: t, payload: item.payload, options: item.options } : { task: t, payload: item, options: undefined },
        ),
      );
    },

    async execute(task: AnyTask | string, payload: unknown): Promise<TaskResult<never>> {
      const t = resolveTask(task, "engine.execute");
      // Runs through the store like any run (steps, logs and retries are recorded), on a private
      // queue served by a private worker in this process.
      const queue = `execute:${randomUUID()}`;
      const [handle] = await triggerMany([{ task: t, payload, options: { queue } }]);
      // No scheduler here: executing one task must not fire (or register) cron schedules.
      const { createScheduler: _noScheduler, ...executeHost } = workerHost;
      const worker = createWorker(executeHost, { concurrency: 1, queues: [queue], pollIntervalMs: 50 });
      workers.add(worker); // engine.close() stops it too
      try {
        await worker.start();
        return await runs.wait<never>(handle!.id);
      } finally {
        await worker.stop();
        workers.delete(worker);
      }
    },

    worker(workerOptions?: WorkerOptions) {
      if (closed) throw new Error("engine.worker: the engine is closed");
      const w = createWorker(workerHost, workerOptions);
      workers.add(w);
      w.on("worker:stopped", () => workers.delete(w));
      return w;
    },

    sendEvent: createEventSender({ store, table: events, now, ready, limits }),
    tokens: createTokensApi({ store, now, ready, tokenUrl, outputCap: jsonCap(limits, "outputBytes") }),

    runs,
    schedules: createScheduleApi(scheduleDeps, ready),

    async prune(pruneOptions) {
      if (pruneOptions === null || typeof pruneOptions !== "object") throw new TypeError("engine.prune: expected options { olderThanMs }");
      const olderThanMs = toMs(pruneOptions.olderThanMs, "engine.prune: option `olderThanMs`");
      await ready();
      const t = now();
      return store.prune({ finishedBefore: t - olderThanMs, now: t });
    },

    async close() {
      if (closed) return;
      await Promise.all([...workers].map((w) => w.stop()));
      closed = true;
      await store.close();
    },

    async [Symbol.asyncDispose]() {
      await engine.close();
    },
  };
  return engine;
}

interface TriggerItem {
  readonly task: AnyTask;
  readonly payload: unknown;
  readonly options: TriggerOptions | undefined;
  readonly internal?: InternalTrigger;
}
