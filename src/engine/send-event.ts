/**
 * `engine.sendEvent` (docs/CONTRACT.md §8): checks the payload against the event's schema and each listening
 * task's schema, then, in one store transaction, stores the event, starts one run per listening task
 * and wakes the runs waiting for it. Anything refused is refused before anything is written.
 */
import { eventNameOf, isEventDefinition, validateEvent, type AnyEvent } from "../durable/event.ts";
import { newId } from "../store/ids.ts";
import type { NewRun, Store } from "../store/types.ts";
import { toJson } from "../vocabulary/json.ts";
import { jsonCap, type ResolvedLimits } from "../vocabulary/limits.ts";
import type { EventTable } from "./listeners.ts";
import { insertTraced } from "./tracing/trigger-spans.ts";
import { handleOf, prepareRun } from "./trigger.ts";
import type { SendEventOptions, SentEvent } from "./types.ts";

export interface EventSenderDeps {
  readonly store: Store;
  readonly table: EventTable;
  /** The engine's caps on stored values. */
  readonly limits: ResolvedLimits;
  now(): number;
  ready(): Promise<void>;
}

export function createEventSender(deps: EventSenderDeps) {
  const { store, table } = deps;
  return async function sendEvent(event: string | AnyEvent, payload: unknown = null, options?: SendEventOptions): Promise<SentEvent> {
    const where = "engine.sendEvent";
    const name = eventNameOf(event, `${where}: \`event\``);
    const key = idempotencyKeyOf(options, where);
    const typed = isEventDefinition(event) ? event : (table.typed.get(name) ?? null);
    if (typed !== null) await validateEvent(typed, payload);
    const json = toJson(payload, `the payload of event "${name}"`, jsonCap(deps.limits, "payloadBytes"));
    await deps.ready();
    const t = deps.now();
    // Each listener's schema checks the payload too; a refusal here writes nothing.
    const runs = await Promise.all((table.listeners.get(name) ?? []).map((task) => prepareRun(task, payload, undefined, t, deps.limits)));
    const emit = (r: readonly NewRun[]) => store.emitEvent({ id: newId(t), name, payload: json, idempotencyKey: key, runs: r, now: t });
    const out = await insertTraced(runs, emit, (o) => o.runs);
    return {
      id: out.eventId,
      created: out.created,
      runs: out.runs.map(handleOf),
      woken: out.woken,
    };
  };
}

function idempotencyKeyOf(options: SendEventOptions | undefined, where: string): string | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object { idempotencyKey? }`);
  for (const k of Object.keys(options)) {
    if (k !== "idempotencyKey") throw new TypeError(`${where}: unknown option \`${k}\` (known: idempotencyKey)`);
  }
  const key = options.idempotencyKey;
  if (key === undefined) return null;
  if (typeof key !== "string" || key.length === 0 || key.length > 512) {
    throw new TypeError(`${where}: option \`idempotencyKey\` must be a non-empty string (at most 512 characters)`);
  }
  return key;
}
