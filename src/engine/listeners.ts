/**
 * Tasks started by events (docs/CONTRACT.md §8): a task's `on` option, and the engine's table of which tasks
 * listen to which event names.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { anyEventSchema, checkEventName, isEventDefinition, type AnyEvent } from "../durable/event.ts";
import type { AnyTask } from "../durable/task.ts";

export interface Listened {
  readonly name: string;
  /** The typed event, when the task named one. */
  readonly event: AnyEvent | null;
}

/** The events of a task's `on` option, checked (`what` names the option in errors). */
export function listenedEvents(on: unknown, what: string): readonly Listened[] {
  if (on === undefined) return [];
  const list = Array.isArray(on) ? (on as unknown[]) : [on];
  if (Array.isArray(on) && list.length === 0) throw new TypeError(`${what} must not be an empty list`);
  const out: Listened[] = [];
  for (const [i, item] of list.entries()) {
    const where = Array.isArray(on) ? `${what}[${i}]` : what;
    const entry: Listened = isEventDefinition(item)
      ? { name: item.name, event: item }
      : typeof item === "string"
        ? { name: checkEventName(item, where), event: null }
        : fail(`${where} must be an event name or an event made by defineEvent()`);
    if (out.some((x) => x.name === entry.name)) throw new TypeError(`${where}: the event "${entry.name}" is listed twice`);
    out.push(entry);
  }
  return Object.freeze(out);
}

/** The payload schema of a task that listens only to typed events with schemas (else undefined). */
export function payloadSchemaOf(on: readonly Listened[]): StandardSchemaV1 | undefined {
  if (on.length === 0 || on.some((x) => x.event === null || x.event.schema === undefined)) return undefined;
  return on.length === 1 ? on[0]!.event!.schema : anyEventSchema(on.map((x) => x.event!));
}

function fail(message: string): never {
  throw new TypeError(message);
}

/** Which registered tasks listen to each event name, and the typed events the tasks name. */
export interface EventTable {
  readonly listeners: ReadonlyMap<string, readonly AnyTask[]>;
  readonly typed: ReadonlyMap<string, AnyEvent>;
}

/** Builds the table; two different typed events with one name are an error. */
export function eventTable(tasks: Iterable<AnyTask>, onOf: (task: AnyTask) => readonly Listened[]): EventTable {
  const listeners = new Map<string, AnyTask[]>();
  const typed = new Map<string, AnyEvent>();
  for (const task of tasks) {
    for (const { name, event } of onOf(task)) {
      let list = listeners.get(name);
      if (list === undefined) listeners.set(name, (list = []));
      list.push(task);
      if (event === null) continue;
      const known = typed.get(name);
      if (known !== undefined && known !== event) {
        throw new TypeError(`createEngine: two different events made by defineEvent() are named "${name}" (task "${task.id}"); define each event once and share it`);
      }
      typed.set(name, event);
    }
  }
  return { listeners, typed };
}
