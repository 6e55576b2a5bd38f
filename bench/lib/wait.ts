/**
 * Waiting helpers for contestant processes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { getHeapSpaceStatistics } from "node:v8";

/** Polls `check` every `everyMs` until it returns true; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  { everyMs = 2, timeoutMs = 300_000 }: { everyMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A promise with its resolve function, for "the N-th job ran" signals. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Wall-clock milliseconds with sub-ms resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What a process holds after a full GC, in MiB (see {@link memoryAfterGcMiB}). */
export interface MemoryReading {
  /** Resident set size. */
  readonly rssMiB: number;
  /** V8 heap in use (live objects). */
  readonly heapMiB: number;
  /** V8 heap committed (every space, with its free room). */
  readonly heapTotalMiB: number;
  /** V8's young generation (both semi-spaces), part of heapTotal: sized by V8 from the allocation rate. */
  readonly youngMiB: number;
}

/** The size of V8's young generation (new space, both semi-spaces), in bytes. */
function youngBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

/**
 * Memory after a full GC (run node with --expose-gc for the GC). The reading waits `settleMs` after
 * the GC: V8 gives the pages a GC freed back to the system from a background thread, and an RSS read
 * at once still counts some of them (up to 14 MiB more, measured, and differently at each reading).
 */
export async function memoryAfterGcMiB(settleMs = 500): Promise<MemoryReading> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  await sleep(settleMs);
  const m = process.memoryUsage();
  const mib = (x: number) => x / 2 ** 20;
  return { rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), youngMiB: mib(youngBytes()) };
}

/** A reading at rest ({@link memoryAtRestMiB}): how long V8 took to shrink its young generation. */
export interface RestReading extends MemoryReading {
  /** From the end of the load to the reading. */
  readonly waitedMs: number;
  /** V8 shrank its young generation within the wait (false: the wait timed out; read anyway). */
  readonly shrunk: boolean;
}

/**
 * Memory once the process has been idle long enough for V8 to size its heap for no load. V8 grows
 * its young generation under load (up to node's --max-semi-space-size, 16 MiB per semi-space) and
 * shrinks it back to 1–2 MiB at a GC that sees an allocation rate under ~1 KB/ms over its last few
 * seconds, or when its memory reducer runs, some 8–30 s after the load ends. So: every 3 s of idling,
 * a full GC, until the young generation is at most `smallMiB` (for at most `timeoutMs`), then the
 * reading as {@link memoryAfterGcMiB}. The process must do no work meanwhile (an idle worker's poll
 * is fine).
 */
export async function memoryAtRestMiB(timeoutMs = 60_000, smallMiB = 4): Promise<RestReading> {
  const t0 = Date.now();
  const gc = (globalThis as { gc?: () => void }).gc;
  const small = smallMiB * 2 ** 20;
  while (youngBytes() > small && Date.now() - t0 < timeoutMs) {
    await sleep(3000);
    gc?.();
  }
  const shrunk = youngBytes() <= small;
  return { ...(await memoryAfterGcMiB()), waitedMs: Date.now() - t0, shrunk };
}
