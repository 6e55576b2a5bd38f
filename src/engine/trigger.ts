/** Turning `(task, payload, options)` into a stored run: validation first, nothing written on error. */
import { newId } from "../store/ids.ts";
import type { NewRun } from "../store/types.ts";
import { PayloadValidationError } from "../vocabulary/errors.ts";
import { toJson } from "../vocabulary/json.ts";
import { taskInternals } from "./define-task.ts";
import type { AnyTask, TriggerOptions } from "./types.ts";

const OPTION_NAMES = new Set([
  "delayMs",
  "runAt",
  "idempotencyKey",
  "idempotencyKeyTtlMs",
  "priority",
  "queue",
  "concurrencyKey",
  "ttlMs",
  "tags",
  "maxAttempts",
]);

export interface InternalTrigger {
  readonly parentRunId?: string | null;
  readonly scheduleId?: string | null;
}

/** Checks the payload against the task's schema; returns the schema's output value. */
export async function validatePayload(task: AnyTask, payload: unknown): Promise<unknown> {
  const schema = task.options.schema;
  if (schema === undefined) return payload;
  const result = await schema["~standard"].validate(payload);
  if (result.issues !== undefined) throw new PayloadValidationError(task.id, result.issues);
  return result.value;
}

/** Validates everything and builds the row to insert; throws before anything is written. */
export async function prepareRun(
  task: AnyTask,
  payload: unknown,
  options: TriggerOptions | undefined,
  now: number,
  internal: InternalTrigger = {},
): Promise<NewRun> {
  const o = validateOptions(task.id, options ?? {});
  await validatePayload(task, payload);
  const payloadJson = toJson(payload, `the payload of task "${task.id}"`);
  const info = taskInternals(task)!;
  let runAt = now;
  if (o.delayMs !== undefined) runAt = now + o.delayMs;
  if (o.runAt !== undefined) runAt = o.runAt.getTime();
  return {
    id: newId(now),
    taskId: task.id,
    queue: o.queue ?? info.queue,
    concurrencyKey: o.concurrencyKey ?? null,
    payload: payloadJson,
    priority: o.priority ?? 0,
    runAt,
    status: runAt > now ? "delayed" : "queued",
    maxAttempts: o.maxAttempts ?? info.retry.maxAttempts,
    idempotencyKey: o.idempotencyKey ?? null,
    idempotencyExpiresAt: o.idempotencyKey !== undefined && o.idempotencyKeyTtlMs !== undefined ? now + o.idempotencyKeyTtlMs : null,
    expiresAt: o.ttlMs !== undefined ? Math.max(now, runAt) + o.ttlMs : null,
    tags: o.tags ?? [],
    parentRunId: internal.parentRunId ?? null,
    scheduleId: internal.scheduleId ?? null,
  };
}

function validateOptions(taskId: string, o: TriggerOptions): TriggerOptions {
  const where = `trigger("${taskId}")`;
  if (o === null || typeof o !== "object") throw new TypeError(`${where}: options must be an object`);
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`${where}: unknown option \`${key}\` (known: ${[...OPTION_NAMES].join(", ")})`);
  }
  const nonNegative = (name: "delayMs" | "idempotencyKeyTtlMs" | "ttlMs") => {
    const v = o[name];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) {
      throw new TypeError(`${where}: option \`${name}\` must be a number >= 0, got ${String(v)}`);
    }
  };
  nonNegative("delayMs");
  nonNegative("idempotencyKeyTtlMs");
  nonNegative("ttlMs");
  if (o.ttlMs === 0) throw new TypeError(`${where}: option \`ttlMs\` must be > 0`);
  if (o.runAt !== undefined && (!(o.runAt instanceof Date) || Number.isNaN(o.runAt.getTime()))) {
    throw new TypeError(`${where}: option \`runAt\` must be a valid Date`);
  }
  if (o.runAt !== undefined && o.delayMs !== undefined) throw new TypeError(`${where}: give \`delayMs\` or \`runAt\`, not both`);
  for (const name of ["idempotencyKey", "queue", "concurrencyKey"] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== "string" || v.length === 0 || v.length > 512)) {
      throw new TypeError(`${where}: option \`${name}\` must be a non-empty string (at most 512 characters)`);
    }
  }
  if (o.idempotencyKeyTtlMs !== undefined && o.idempotencyKey === undefined) {
    throw new TypeError(`${where}: option \`idempotencyKeyTtlMs\` needs \`idempotencyKey\``);
  }
  if (o.priority !== undefined && (!Number.isInteger(o.priority) || Math.abs(o.priority) > 1_000_000)) {
    throw new TypeError(`${where}: option \`priority\` must be an integer between -1000000 and 1000000`);
  }
  if (o.maxAttempts !== undefined && (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1)) {
    throw new TypeError(`${where}: option \`maxAttempts\` must be an integer >= 1`);
  }
  if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== "string" || t.length === 0 || t.length > 128))) {
    throw new TypeError(`${where}: option \`tags\` must be an array of non-empty strings (at most 128 characters each)`);
  }
  return o;
}
