/**
 * Cycle detection over the wait-for graph of pending entries: a task that (transitively) awaits
 * itself with the same key gets a `TaskCycleError` naming the path instead of hanging forever.
 */
import { isSettled, type Entry } from "./entry.ts";
import { TaskCycleError } from "./errors.ts";
import { describeInput } from "./key.ts";

/** The error to reject with if `from`'s task awaiting `target` closes a cycle, else null. */
export function cycleError(target: Entry, from: Entry): TaskCycleError | null {
  const cycle = findCycle(target, from);
  return cycle === null ? null : new TaskCycleError(cycle.map(label));
}

/** If `target` (transitively, through pending entries) waits for `from`, the cycle target→…→target. */
function findCycle(target: Entry, from: Entry): Entry[] | null {
  if (target === from) return [from, from];
  const visited = new Set<Entry>();
  const walk = (e: Entry, path: Entry[]): Entry[] | null => {
    if (e === from) return path;
    const waitsOn = e.more?.waitsOn;
    if (visited.has(e) || isSettled(e) || waitsOn == null) return null;
    visited.add(e);
    for (const next of waitsOn) {
      const found = walk(next, [...path, next]);
      if (found !== null) return found;
    }
    return null;
  };
  const found = walk(target, [from, target]);
  // Report it from the entry being re-entered: target -> … -> from -> target.
  return found === null ? null : [...found.slice(1), target];
}

function label(e: Entry): string {
  return `${e.task.name}(${describeInput(e.input, e.task.name)})`;
}
