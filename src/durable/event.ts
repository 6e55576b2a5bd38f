/**
 * Typed events (docs/CONTRACT.md §8): `defineEvent({ name, schema })` names an event and the Standard Schema
 * its payload must pass. Tasks listen to events (`defineTask({ on })`), runs wait for them
 * (`ctx.waitForEvent(key, { event })`), and `engine.sendEvent` sends them; wherever an event is taken,
 * its plain name works too (untyped).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { EventValidationError } from "../vocabulary/errors.ts";
import { checkName } from "../vocabulary/validate.ts";

/** A typed event, made by {@link defineEvent}. `TPayload` is what receivers get, `TInput` what senders give. */
export interface EventDefinition<TPayload = unknown, TInput = TPayload> {
  readonly name: string;
  /** Checks every payload sent; undefined for an event typed without a schema (nothing checked). */
  readonly schema: StandardSchemaV1<TInput, TPayload> | undefined;
  /** Phantom fields for type inference only; never set. */
  readonly __payload?: TPayload;
  readonly __input?: TInput;
}

export type AnyEvent = EventDefinition<any, any>;
/** An event's name, or a typed event. */
export type EventRef = string | AnyEvent;
/** What receivers of the event get (`unknown` for a plain name). */
export type EventPayload<E> = E extends EventDefinition<infer P, any> ? P : unknown;
/** What senders of the event give (`unknown` for a plain name). */
export type EventInput<E> = E extends EventDefinition<any, infer I> ? I : unknown;

const defined = new WeakSet<object>();
/** Event names: 1–256 characters, no whitespace or control characters. */
const NAME = /^[^\s\p{Cc}]{1,256}$/u;

export function defineEvent<TSchema extends StandardSchemaV1>(options: {
  readonly name: string;
  readonly schema: TSchema;
}): EventDefinition<StandardSchemaV1.InferOutput<TSchema>, StandardSchemaV1.InferInput<TSchema>>;
/** An event typed without a schema: `defineEvent<{ orderId: string }>({ name })` (payloads are not checked). */
export function defineEvent<TPayload = unknown>(options: { readonly name: string }): EventDefinition<TPayload>;
export function defineEvent(options: { readonly name: string; readonly schema?: StandardSchemaV1 }): AnyEvent {
  if (options === null || typeof options !== "object") throw new TypeError("defineEvent: expected options { name, schema? }");
  for (const key of Object.keys(options)) {
    if (key !== "name" && key !== "schema") throw new TypeError(`defineEvent: unknown option \`${key}\` (known: name, schema)`);
  }
  const name = checkEventName(options.name, "defineEvent: option `name`");
  const schema = options.schema;
  if (schema !== undefined) {
    const std = (schema as { "~standard"?: { validate?: unknown } } | null)?.["~standard"];
    if (std === undefined || typeof std.validate !== "function") {
      throw new TypeError(`defineEvent("${name}"): option \`schema\` must be a Standard Schema (zod, valibot, arktype, …)`);
    }
  }
  const event: AnyEvent = Object.freeze({ name, schema });
  defined.add(event);
  return event;
}

/** Whether `value` was made by {@link defineEvent}. */
export function isEventDefinition(value: unknown): value is AnyEvent {
  return typeof value === "object" && value !== null && defined.has(value);
}

/** A valid event name, or a TypeError naming `what`. */
export function checkEventName(name: unknown, what: string): string {
  // Empty, too long, NUL and lone surrogates get the messages every stored name gets.
  checkName(name, what, 256);
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`${what} must be an event name: 1–256 characters without spaces or control characters; got ${JSON.stringify(name) ?? String(name)}`);
  }
  return name;
}

/** The name of an event given by name or definition; a TypeError naming `what` for anything else. */
export function eventNameOf(event: unknown, what: string): string {
  if (isEventDefinition(event)) return event.name;
  if (typeof event === "string") return checkEventName(event, what);
  throw new TypeError(`${what} must be an event name or an event made by defineEvent()`);
}

/** Checks a payload against the event's schema (if it has one); returns the schema's output. */
export async function validateEvent(event: AnyEvent, payload: unknown): Promise<unknown> {
  if (event.schema === undefined) return payload;
  const result = await event.schema["~standard"].validate(payload);
  if (result.issues !== undefined) throw new EventValidationError(event.name, result.issues);
  return result.value;
}

/**
 * One Standard Schema that accepts what any of `events`' schemas accepts (the first that does gives
 * the value): the payload schema of a task that listens to several typed events.
 */
export function anyEventSchema(events: readonly AnyEvent[]): StandardSchemaV1 {
  const names = events.map((e) => e.name).join(", ");
  return {
    "~standard": {
      version: 1,
      vendor: "errand",
      async validate(value) {
        const issues: StandardSchemaV1.Issue[] = [];
        for (const e of events) {
          const result = await e.schema!["~standard"].validate(value);
          if (result.issues === undefined) return { value: result.value };
          issues.push(...result.issues.map((i) => ({ ...i, message: `${e.name}: ${i.message}` })));
        }
        return { issues: issues.length > 0 ? issues : [{ message: `not a payload of any of ${names}` }] };
      },
    },
  };
}
