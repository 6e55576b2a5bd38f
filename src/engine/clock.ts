/**
 * An engine clock that can also wait: `createEngine({ clock })` takes a function returning epoch ms;
 * a clock made by {@link clockWithPause} also decides how a running attempt waits a duration (a
 * step's retry back-off). The test engine's virtual clock skips such waits; any other clock waits
 * with real timers.
 */
import type { DurableHost } from "../durable/types.ts";

/** How a running attempt waits `ms` of the clock's time; rejects with the signal's reason when it aborts. */
export type Pause = NonNullable<DurableHost["pause"]>;

const pauses = new WeakMap<() => number, Pause>();

/** `now`, registered with the way attempts wait on its time. */
export function clockWithPause(now: () => number, pause: Pause): () => number {
  pauses.set(now, pause);
  return now;
}

/** How attempts wait on `clock`'s time; undefined for a plain clock (real timers). */
export function pauseOf(clock: () => number): Pause | undefined {
  return pauses.get(clock);
}
