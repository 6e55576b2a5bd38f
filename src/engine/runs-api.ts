/** `engine.runs`: query, cancel, replay and wait for runs. */
import { newId } from "../store/ids.ts";
import type { Store } from "../store/types.ts";
import type { Emitter } from "./emitter.ts";
import { MAX_TIMER_MS, toMs, toTime } from "../vocabulary/duration.ts";
import { WaitTimeoutError } from "../vocabulary/errors.ts";
import { checkRunId, listParams } from "./runs-query.ts";
import type { ListRunsOptions, RunHandle, RunsApi, TaskResult } from "./types.ts";
import { resultOf, toLogView, toRunView, toStepView } from "./views.ts";

export interface RunsApiDeps {
  readonly store: Store;
  now(): number;
  ready(): Promise<void>;
  readonly local: Emitter<{ finished: { id: string }; cancel: { id: string } }>;
  /** The task ids the engine registers. */
  readonly known: ReadonlySet<string>;
}

export function createRunsApi(deps: RunsApiDeps): RunsApi {
  const { store, local } = deps;
  const need = async (id: string, call: string) => {
    checkRunId(id, call);
    await deps.ready();
    const run = await store.getRun({ id });
    if (run === null) throw new Error(`${call}: no run with id "${id}"`);
    return run;
  };

  return {
    async get(id) {
      checkRunId(id, "engine.runs.get");
      await deps.ready();
      const run = await store.getRun({ id });
      if (run === null) return null;
      const [started] = await store.getRunEvents({ runIds: [id] });
      return toRunView(run, started === undefined ? null : { id: started.eventId, name: started.eventName }, deps.known);
    },

    async list(options: ListRunsOptions = {}) {
      const params = listParams(options);
      await deps.ready();
      const page = await store.listRuns(params);
      const started = new Map((await store.getRunEvents({ runIds: page.runs.map((r) => r.id) })).map((e) => [e.runId, e]));
      const runs = page.runs.map((r) => {
        const e = started.get(r.id);
        return toRunView(r, e === undefined ? null : { id: e.eventId, name: e.eventName }, deps.known);
      });
      return { runs, nextCursor: page.nextCursor };
    },

    async cancel(id) {
      await need(id, "engine.runs.cancel");
      const error = JSON.stringify({ name: "RunCanceledError", message: `run ${id} was canceled` });
      const canceled = await store.cancelRun({ id, error, now: deps.now() });
      for (const c of canceled) {
        local.emit("cancel", { id: c });
        local.emit("finished", { id: c });
      }
      return canceled.length > 0;
    },

    async replay(id) {
      const run = await need(id, "engine.runs.replay");
      const now = deps.now();
      const [created] = await store.createRuns({
        runs: [
          {
            id: newId(now),
            taskId: run.taskId,
            queue: run.queue,
            concurrencyKey: run.concurrencyKey,
            payload: run.payload,
            priority: run.priority,
            runAt: now,
            status: "queued",
            maxAttempts: run.maxAttempts,
            idempotencyKey: null,
            idempotencyExpiresAt: null,
            expiresAt: null,
            tags: run.tags,
            parentRunId: null,
            scheduleId: run.scheduleId,
          },
        ],
        now,
      });
      return { id: created!.run.id, taskId: run.taskId, created: true };
    },

    async steps(id) {
      await need(id, "engine.runs.steps");
      return (await store.getSteps({ runId: id })).map(toStepView);
    },

    async logs(id) {
      await need(id, "engine.runs.logs");
      return (await store.getLogs({ runId: id })).map(toLogView);
    },

    async wait(handleOrId: RunHandle | string, options: { readonly timeoutMs?: number } = {}): Promise<TaskResult<never>> {
      const id = typeof handleOrId === "object" && handleOrId !== null ? handleOrId.id : handleOrId;
      if (options === null || typeof options !== "object") throw new TypeError("engine.runs.wait: options must be an object { timeoutMs? }");
      const timeoutMs =
        options.timeoutMs === undefined ? undefined : toMs(options.timeoutMs, "engine.runs.wait: option `timeoutMs`", { max: MAX_TIMER_MS });
      await need(id, "engine.runs.wait");
      // The timeout is real time, measured by a timer (the engine's clock may be a test's virtual one).
      let timedOut = false;
      let wake: (() => void) | null = null;
      const timer =
        timeoutMs === undefined
          ? null
          : setTimeout(() => {
              timedOut = true;
              wake?.();
            }, timeoutMs);
      try {
        let pollMs = 20;
        for (;;) {
          const run = await store.getRun({ id });
          if (run === null) throw new Error(`engine.runs.wait: run "${id}" was deleted while waiting`);
          const result = resultOf<never>(run);
          if (result !== null) return result;
          if (timedOut) {
            throw new WaitTimeoutError(`engine.runs.wait: run ${id} did not finish within ${timeoutMs} ms (status: ${run.status})`);
          }
          // Woken at once by a finish in this process or the timeout; otherwise poll (other processes), backing off to 1 s.
          await new Promise<void>((resolve) => {
            const t = setTimeout(done, pollMs);
            const off = local.on("finished", (e) => {
              if (e.id === id) done();
            });
            wake = done;
            function done() {
              clearTimeout(t);
              off();
              wake = null;
              resolve();
            }
          });
          pollMs = Math.min(1000, pollMs * 2);
        }
      } finally {
        if (timer !== null) clearTimeout(timer);
      }
    },

    async stats() {
      await deps.ready();
      return store.stats();
    },

    async metrics(options) {
      if (options === null || typeof options !== "object") throw new TypeError("engine.runs.metrics: expected options { since, bucketMs }");
      const { since } = options;
      if (!(since instanceof Date)) throw new TypeError("engine.runs.metrics: option `since` must be a Date");
      const from = toTime(since, "engine.runs.metrics: option `since`");
      const bucketMs = toMs(options.bucketMs, "engine.runs.metrics: option `bucketMs`", { positive: true });
      await deps.ready();
      return (await store.metrics({ since: from, bucketMs })).map((b) => ({ ...b, at: new Date(b.at) }));
    },
  };
}

