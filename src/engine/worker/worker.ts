/**
 * A worker: one loop that wakes on its doorbell and then, in one pass, starts buffered runs in free
 * slots, sends the completion batch, and claims when enough places are free (its free slots plus
 * `prefetch` ahead). A claim and a completion batch are in flight together; neither waits for the
 * other. Leases are renewed by one batched heartbeat. Stop is graceful (see graceful-stop.ts).
 */
import { randomUUID } from "node:crypto";
import type { DurableHost } from "../../durable/types.ts";
import { LeaseLostError } from "../../vocabulary/errors.ts";
import { Emitter } from "../emitter.ts";
import type { Worker, WorkerEvents, WorkerOptions } from "../types.ts";
import { startBuffered } from "./attempts.ts";
import { CompletionBatcher } from "./completions.ts";
import type { LeaseKeeper, WorkerCore, WorkerHost, WorkerState } from "./core.ts";
import { Doorbell } from "./doorbell.ts";
import { stopGracefully } from "./graceful-stop.ts";
import { HeldRuns } from "./held-runs.ts";
import { createLeaseKeeper } from "./leases.ts";
import { validateWorkerOptions } from "./options.ts";
import { createPersist } from "./persist.ts";
import { Prefetch } from "./prefetch.ts";

export function createWorker(host: WorkerHost, options: WorkerOptions = {}): Worker {
  const opts = validateWorkerOptions(options);
  const id = `worker-${randomUUID()}`;
  const events = new Emitter<WorkerEvents>();
  const bell = new Doorbell();
  const store = host.store;
  let state: WorkerState = "idle";
  /** Something happened that may have made runs claimable (a run released, a notification, the poll). */
  let wantClaim = true;
  let claiming: Promise<void> | null = null;
  let pollTimer: ReturnType<typeof setTimeout> | null = null;
  const nudge = () => {
    wantClaim = true;
    bell.ring();
  };
  const reportError = (error: unknown) => events.emit("worker:error", { error });
  const persist = createPersist(reportError);
  const held = new HeldRuns(nudge);
  const completions = new CompletionBatcher({
    store,
    workerId: id,
    now: () => host.now(),
    persist,
    written(batch, done) {
      const now = host.now();
      const tell = events.has("run:completed");
      const wake = host.local.has("finished");
      for (const c of batch) {
        // `delete`: a run id twice in one batch (an own takeover) completes once.
        if (done.delete(c.run.id)) {
          if (tell) events.emit("run:completed", { run: c.run.info!, output: c.output, durationMs: now - c.run.startedAt });
          if (wake) host.local.emit("finished", { id: c.run.id });
        }
        c.run.written();
      }
    },
  });
  const prefetch = new Prefetch(opts);
  const core: WorkerCore = {
    id,
    prefetch,
    turn: { startsLeft: 0 },
    host,
    store,
    opts,
    events,
    held,
    bell,
    completions,
    persist,
    durable: null as unknown as DurableHost,
    leases: null as unknown as LeaseKeeper,
    get state() {
      return state;
    },
    reportError,
  };
  const leases = createLeaseKeeper(core);
  core.leases = leases;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  const unsubscribers: (() => void)[] = [];
  let scheduler: { start(): Promise<void>; stop(): Promise<void> } | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | null = null;

  /**
   * Claims when enough places are free: half the capacity (slots plus prefetch buffer, so that claims
   * stay large), or any free slot with nothing buffered to start. Places: capacity minus runs buffered
   * or running, minus a backlog of unwritten outcomes beyond the capacity.
   */
  function claimLimit(): number {
    const capacity = opts.concurrency + prefetch.size;
    const room = capacity - held.running - held.buffered - Math.max(0, held.writing - capacity);
    if (room >= Math.ceil(capacity / 2) || (room > 0 && held.buffered === 0 && held.running < opts.concurrency)) return room;
    return 0;
  }

  function claim(limit: number): void {
    wantClaim = false;
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = null;
    const now = host.now();
    claiming = leases
      .expireOwn(now) // before the claim can take them over
      .then(() => store.claimRuns({ workerId: id, queues: opts.queues, limit, leaseMs: opts.leaseMs, now }))
      .then(
        (claimed) => {
          const leaseUntil = now + opts.leaseMs;
          for (const c of claimed) {
            held.add(c, leaseUntil, (previous) => new LeaseLostError(`run ${previous.id}: taken over by a new claim after its lease expired`));
          }
          if (claimed.length === limit) wantClaim = true; // there may be more
          startBuffered(core); // at once: a claimed run never waits for a wake-up to start
        },
        reportError,
      )
      .finally(() => {
        claiming = null;
        if (state === "running") {
          pollTimer = setTimeout(() => {
            pollTimer = null;
            nudge();
          }, opts.pollIntervalMs);
        }
        bell.ring();
      });
  }

  /** One pass of the loop. */
  function pump(): void {
    if (state === "running") {
      core.turn.startsLeft = Math.max(opts.concurrency, Math.ceil((opts.concurrency + prefetch.size) / 2));
      startBuffered(core);
      if (claiming === null && wantClaim) {
        const limit = claimLimit();
        if (limit > 0) claim(limit);
      }
    }
    if (!completions.idle) void completions.send();
  }

  async function loop(): Promise<void> {
    while (state !== "stopped") {
      pump();
      await bell.wait();
    }
  }

  async function stopNow(): Promise<void> {
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = null;
    await scheduler?.stop().catch(reportError);
    await stopGracefully(core, claiming);
    if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
    for (const u of unsubscribers.splice(0)) u();
    state = "stopped";
    bell.ring();
    await loopDone;
    events.emit("worker:stopped", {});
  }

  const worker: Worker = {
    id,
    async start() {
      if (state !== "idle") throw new Error(`worker ${id}: start() can be called once (state: ${state})`);
      state = "running";
      try {
        await host.ready();
      } catch (error) {
        state = "stopped";
        throw error;
      }
      if (state !== "running") return; // stopped while starting
      core.durable = host.durableHost(id, (runId, progress, message) => {
        const h = held.get(runId);
        if (h?.info) events.emit("run:progress", { run: h.info, progress, message });
      });
      unsubscribers.push(store.subscribe(nudge));
      unsubscribers.push(host.local.on("cancel", ({ id: runId }) => leases.canceled(runId)));
      heartbeatTimer = setInterval(() => void leases.heartbeat(), Math.max(50, Math.floor(opts.leaseMs / 3)));
      heartbeatTimer.unref?.();
      scheduler = host.createScheduler?.() ?? null;
      if (scheduler !== null) await scheduler.start();
      loopDone = loop();
    },

    async stop() {
      if (state === "idle" || state === "stopped") {
        state = "stopped";
        return stopped ?? undefined;
      }
      if (stopped !== null) return stopped;
      state = "stopping";
      bell.ring();
      stopped = stopNow();
      return stopped;
    },

    on(event, listener) {
      return events.on(event, listener);
    },

    async [Symbol.asyncDispose]() {
      await worker.stop();
    },
  };
  return worker;
}
