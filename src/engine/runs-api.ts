/** `engine.runs`: query, cancel, replay and wait for runs. */
import { newId } from "../store/ids.ts";
import type { RunStatus, Store } from "../store/types.ts";
import type { Emitter } from "./emitter.ts";
import { WaitTimeoutError } from "../vocabulary/errors.ts";
import type { ListRunsOptions, RunHandle, RunsApi, TaskResult } from "./types.ts";
import { resultOf, toLogView, toRunView, toStepView } from "./views.ts";

export interface RunsApiDeps {
  readonly store: Store;
  now(): number;
  ready(): Promise<void>;
  readonly local: Emitter<{ finished: { id: string }; cancel: { id: string } }>;
}

export function createRunsApi(deps: RunsApiDeps): RunsApi {
  const { store, local } = deps;
  const need = async (id: string) => {
    if (typeof id !== "string" || id === "") throw new TypeError("engine.runs: `id` must be a non-empty string");
    await deps.ready();
    const run = await store.getRun({ id });
    if (run === null) throw new Error(`engine.runs: no run with id "${id}"`);
    return run;
  };

  return {
    async get(id) {
      await deps.ready();
      const run = await store.getRun({ id });
      return run === null ? null : toRunView(run);
    },

    async list(options: ListRunsOptions = {}) {
      await deps.ready();
      const status =
        options.status === undefined ? undefined : typeof options.status === "string" ? [options.status] : options.status;
      const page = await store.listRuns({
        ...(status !== undefined ? { status: status as readonly RunStatus[] } : {}),
        ...(options.taskId !== undefined ? { taskId: options.taskId } : {}),
        ...(options.queue !== undefined ? { queue: options.queue } : {}),
        ...(options.tag !== undefined ? { tag: options.tag } : {}),
        ...(options.parentRunId !== undefined ? { parentRunId: options.parentRunId } : {}),
        ...(options.idPrefix !== undefined ? { idPrefix: options.idPrefix } : {}),
        limit: options.limit ?? 50,
        cursor: options.cursor ?? null,
      });
      return { runs: page.runs.map(toRunView), nextCursor: page.nextCursor };
    },

    async cancel(id) {
      await need(id);
      const error = JSON.stringify({ name: "RunCanceledError", message: `run ${id} was canceled` });
      const canceled = await store.cancelRun({ id, error, now: deps.now() });
      for (const c of canceled) {
        local.emit("cancel", { id: c });
        local.emit("finished", { id: c });
      }
      return canceled.length > 0;
    },

    async replay(id) {
      const run = await need(id);
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
      await need(id);
      return (await store.getSteps({ runId: id })).map(toStepView);
    },

    async logs(id) {
      await need(id);
      return (await store.getLogs({ runId: id })).map(toLogView);
    },

    async wait(handleOrId: RunHandle | string, options: { readonly timeoutMs?: number } = {}): Promise<TaskResult<never>> {
      const id = typeof handleOrId === "object" && handleOrId !== null ? handleOrId.id : handleOrId;
      const timeoutMs = options.timeoutMs;
      if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs >= 0))) {
        throw new TypeError("engine.runs.wait: option `timeoutMs` must be a number >= 0");
      }
      await need(id);
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

    async metrics({ since, bucketMs }) {
      await deps.ready();
      return (await store.metrics({ since: since.getTime(), bucketMs })).map((b) => ({ ...b, at: new Date(b.at) }));
    },
  };
}

