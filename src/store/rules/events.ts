/**
 * Sending an event that starts runs (docs/CONTRACT.md §8): one transaction stores the event, inserts the
 * listening tasks' runs recorded as started by it, and resolves the event waits it matches. A repeated
 * idempotency key writes nothing and reports what the first send started.
 */
import type { EmittedEvent, NewRun } from "../types.ts";
import { createRuns } from "./create.ts";
import type { Effects } from "./effects.ts";
import { call, type Program } from "./program.ts";
import { resolveEventWaits } from "./waits.ts";

export interface EmitEvent {
  readonly id: string;
  readonly name: string;
  readonly payload: string;
  readonly idempotencyKey: string | null;
  readonly runs: readonly NewRun[];
  readonly now: number;
}

export function* emitEvent(p: EmitEvent, effects: Effects): Program<EmittedEvent> {
  const { id, name, payload, idempotencyKey: key, now } = p;
  if (key === null) yield* call((tx) => tx.insertEvent(id, name, payload, now));
  else {
    const first = yield* holderOf(id, name, payload, key, now);
    if (first !== null) {
      const started = yield* call((tx) => tx.runsOfEvent(first));
      return { eventId: first, created: false, runs: started.map((run) => ({ run, created: false })), woken: 0 };
    }
  }
  const runs = p.runs.length === 0 ? [] : yield* createRuns(p.runs, now);
  const started = runs.filter((r) => r.created).map((r) => r.run.id);
  if (started.length > 0) {
    yield* call((tx) => tx.linkEventRuns(id, name, started));
    effects.available = true;
  }
  const woken = yield* resolveEventWaits(name, payload, now, effects);
  return { eventId: id, created: true, runs, woken };
}

/** Inserts the keyed event; returns null when it did, else the id of the event that holds the key. */
function* holderOf(id: string, name: string, payload: string, key: string, now: number): Program<string | null> {
  for (let tries = 0; ; tries++) {
    if (yield* call((tx) => tx.insertEventIfKeyFree(id, name, payload, key, now))) return null;
    const first = yield* call((tx) => tx.eventIdByKey(name, key));
    if (first !== null) return first;
    // The holder was pruned between the two statements (another transaction): try again.
    if (tries >= 3) throw new Error(`store: could not store event ${JSON.stringify(name)} with idempotency key ${JSON.stringify(key)}`);
  }
}
