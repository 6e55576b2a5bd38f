/**
 * A worker: one loop that wakes on its doorbell and then, in one pass, starts buffered runs in free
 * slots, claims when enough places are free (claims.ts) and sends the completion batch
 * (completions.ts). A claim and a completion batch are in flight together; neither waits for the other.
 * Leases are renewed by one batched heartbeat (leases.ts). Stop is graceful (graceful-stop.ts). This
 * file wires the parts together and holds the worker's own state (idle → running → stopping → stopped).
 */
import { randomUUID } from "node:crypto";
import type { DurableHost } from "../../durable/types.ts";
import { Emitter } from "../emitter.ts";
import type { Worker, WorkerEvents, WorkerOptions } from "../types.ts";
import { startBuffered } from "./attempts.ts";
import { Claims } from "./claims.ts";
import { CompletionBatcher } from "./completions.ts";
import type { LeaseKeeper, WorkerCore, WorkerHost, WorkerState } from "./core.ts";
import { Doorbell } from "./doorbell.ts";
import { stopGracefully } from "./graceful-stop.ts";
import { Handoff } from "./handoff.ts";
import { HeldRuns } from "./held-runs.ts";
import { createLeaseKeeper } from "./leases.ts";
import { validateWorkerOptions } from "./options.ts";
import { createPersist } from "./persist.ts";
import { Prefetch } from "./prefetch.ts";
import { handBackSurplus } from "./surplus.ts";

export function createWorker(host: WorkerHost, options: WorkerOptions = {}): Worker {
  const opts = validateWorkerOptions(options, host.tasks);
  const id = `worker-${randomUUID()}`;
  const events = new Emitter<WorkerEvents>();
  const bell = new Doorbell();
  const store = host.store;
  let state: WorkerState = "idle";
  const nudge = () => claims.want();
  const reportError = (error: unknown) => events.emit("worker:error", { error });
  const persist = createPersist(reportError);
  const held = new HeldRuns((run) => claims.released(run));
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
    slots: { reserved: 0 },
    quietReleases: new Set(),
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
  const claims = new Claims(core);
  const handoff = new Handoff(core, claims);
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  const unsubscribers: (() => void)[] = [];
  let scheduler: { start(): Promise<void>; stop(): Promise<void> } | null = null;
  let loopDone: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | null = null;

  /** One pass of the loop. */
  function pump(): void {
    if (state === "running") {
      core.turn.startsLeft = Math.max(opts.concurrency, Math.ceil((opts.concurrency + prefetch.size) / 2));
      startBuffered(core);
      handBackSurplus(core);
      claims.maybeClaim();
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
    claims.stopPolling();
    await scheduler?.stop().catch(reportError);
    // Runs a claim or a trigger's handover brings meanwhile join the buffer, and go back with it.
    const inFlight = claims.inFlight;
    await stopGracefully(
      core,
      handoff.settled().then(async () => {
        await inFlight;
      }),
    );
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
      host.handoffs?.add(handoff);
    },

    async stop() {
      if (state === "idle" || state === "stopped") {
        state = "stopped";
        return stopped ?? undefined;
      }
      if (stopped !== null) return stopped;
      state = "stopping";
      host.handoffs?.delete(handoff);
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
