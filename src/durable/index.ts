// Durable execution: the run context handed to a durable task's `run`.
export { createRunContext } from "./run-context.ts";
export { LeaseLostError } from "../vocabulary/errors.ts";
export { toRunInfo } from "./run-info.ts";
export type * from "./task.ts";
export type * from "./types.ts";
export { defineEvent, isEventDefinition, eventNameOf, checkEventName, validateEvent, anyEventSchema } from "./event.ts";
export type { EventDefinition, AnyEvent, EventRef, EventPayload, EventInput } from "./event.ts";
