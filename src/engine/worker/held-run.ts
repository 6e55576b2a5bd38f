/**
 * One run a worker holds, and the only place its state changes (docs/ARCHITECTURE.md, "Held run"):
 *
 *   buffered ──start──► executing ──settled──► writing ──written──► released
 *      │                   │   └──settled, nothing to write──────────────▲
 *      │                   └──lose──► lost ──settled─────────────────────┤
 *      └──lose───────────────────────────────────────────────────────────┘
 *
 * - buffered: claimed ahead, waiting for a slot (prefetch);
 * - executing: its function runs and holds a slot;
 * - lost: canceled, lease lost or worker stopped while executing: the function was aborted and may
 *   still be winding down (it keeps its slot until it settles); its outcome is never written;
 * - writing: the function returned, its slot is free, its outcome is being written;
 * - released: no longer this worker's.
 *
 * The worker's counts (slots in use, buffered, unwritten outcomes) are the tally of these states,
 * moved only by {@link HeldRun.#moveTo}; nothing else keeps a counter.
 */
import type { ClaimedRun } from "../../store/types.ts";
import type { RunInfo } from "../../vocabulary/runs.ts";
import type { AttemptControl } from "../executor.ts";
import { BufferedRun } from "./buffered-run.ts";

export type HeldState = "buffered" | "executing" | "lost" | "writing" | "released";

const ALLOWED: Readonly<Record<HeldState, readonly HeldState[]>> = {
  buffered: ["executing", "released"],
  executing: ["writing", "lost", "released"],
  lost: ["released"],
  writing: ["released"],
  released: [],
};

/** Told of every state change (the registry keeps the tally and its by-id index with it). */
export interface HeldRunObserver {
  moved(run: HeldRun, from: HeldState, to: HeldState): void;
}

/** How {@link HeldRun.lose} left the run. */
export type LossEffect =
  /** Never started: released at once, nothing to abort. */
  | "released"
  /** Executing: aborted; it is released once its function settles, and its outcome is dropped. */
  | "aborted"
  /** Writing (the store decides) or already lost/released: nothing changed. */
  | "unchanged";

export class HeldRun implements AttemptControl {
  #state: HeldState = "buffered";
  readonly id: string;
  /**
   * In compact form while buffered (buffered-run.ts), the claimed run once asked for; let go of once
   * the run's function has returned (see {@link HeldRun.#moveTo}).
   */
  #claimed: ClaimedRun | BufferedRun | null;
  /** The lease this worker last secured for the run expires at this time (engine clock). */
  leaseUntil: number;
  /** Set on start; let go of on release. */
  info: RunInfo | null = null;
  startedAt = 0;
  #controller: AbortController | null = null;
  #abortReason: unknown = undefined;
  #interrupt: ((reason: unknown) => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #observer: HeldRunObserver;

  constructor(claimed: ClaimedRun, leaseUntil: number, observer: HeldRunObserver) {
    this.id = claimed.run.id;
    this.#claimed = BufferedRun.of(claimed);
    this.leaseUntil = leaseUntil;
    this.#observer = observer;
  }

  /** The claimed run and its stored steps, while the run is buffered, executing or lost. */
  get claimed(): ClaimedRun {
    const c = this.#claimed;
    if (c === null) throw new Error(`held run ${this.id}: its function has returned, its claim is let go of (a worker bug)`);
    if (c instanceof BufferedRun) return (this.#claimed = c.claimed(this.id));
    return c;
  }

  get state(): HeldState {
    return this.#state;
  }

  /** buffered → executing; `timeout` arms the task's timeout. */
  start(info: RunInfo, now: number, timeout: { ms: number; error: (run: HeldRun, ms: number) => unknown } | null): void {
    this.#moveTo("executing");
    this.info = info;
    this.startedAt = now;
    if (timeout !== null) this.#timer = setTimeout(() => this.#abort(timeout.error(this, timeout.ms)), timeout.ms);
  }

  /** The attempt's abort signal, made on first use: an AbortSignal is costly and most runs never look. */
  signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#abortReason !== undefined && !this.#controller.signal.aborted) this.#controller.abort(this.#abortReason);
    return this.#controller.signal;
  }

  get abortReason(): unknown {
    return this.#abortReason;
  }

  /** Calls `end` with the abort reason as soon as the run is aborted (at once if it already was). */
  interruptWith(end: (reason: unknown) => void): void {
    if (this.#abortReason !== undefined) end(this.#abortReason);
    else this.#interrupt = end;
  }

  /**
   * The function settled: executing → writing when `outcome` is to be written, else → released
   * (lost runs always end here: their outcome is dropped). Returns whether to write it.
   */
  settled(outcome: boolean): boolean {
    this.#clearTimer();
    this.#interrupt = null;
    if (this.#state === "executing" && outcome) {
      this.#moveTo("writing");
      return true;
    }
    if (this.#state === "executing" || this.#state === "lost") this.#moveTo("released");
    return false;
  }

  /** The outcome is written (or given up on): writing → released. */
  written(): void {
    if (this.#state === "writing") this.#moveTo("released");
  }

  /** Aborts an executing run without losing it (its outcome, e.g. a timeout failure, is still written). */
  abort(reason: unknown): void {
    if (this.#state === "executing") this.#abort(reason);
  }

  /** The run is no longer this worker's to finish (canceled, lease lost, handed back, worker stopped). */
  lose(reason: unknown): LossEffect {
    if (this.#state === "buffered") {
      this.#moveTo("released");
      return "released";
    }
    if (this.#state !== "executing") return "unchanged";
    this.#moveTo("lost");
    this.#abort(reason);
    return "aborted";
  }

  #abort(reason: unknown): void {
    this.#clearTimer();
    if (this.#abortReason !== undefined) return; // the first reason stands, as with an AbortSignal
    this.#abortReason = reason ?? new Error("aborted");
    this.#controller?.abort(this.#abortReason);
    this.#interrupt?.(this.#abortReason);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #moveTo(to: HeldState): void {
    const from = this.#state;
    if (!ALLOWED[from].includes(to)) throw new Error(`held run ${this.id}: no transition ${from} → ${to} (a worker bug)`);
    this.#state = to;
    // Once its function has returned the run needs neither its record nor its payload (its outcome is
    // being written), and once released not its run info either. A run may stay reachable for a while
    // from garbage the young-generation GC cannot tell is garbage (an old-space table of the registry's
    // past, see held-runs.ts), and what it still points to survives those GCs with it.
    if (to === "writing" || to === "released") this.#claimed = null;
    if (to === "released") this.info = null;
    this.#observer.moved(this, from, to);
  }
}
