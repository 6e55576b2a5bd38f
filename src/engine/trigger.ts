/** Turning `(task, payload, options)` into a stored run: validation first, nothing written on error. */
import { newId } from "../store/ids.ts";
import { isPlainRun } from "../store/records.ts";
import type { CreatedRun, NewRun } from "../store/types.ts";
import { toMs, toTime } from "../vocabulary/duration.ts";
import { PayloadValidationError } from "../vocabulary/errors.ts";
import { toJson } from "../vocabulary/json.ts";
import { jsonCap, MAX_TAG_LENGTH, type JsonCap, type ResolvedLimits } from "../vocabulary/limits.ts";
import { checkInt, checkName } from "../vocabulary/validate.ts";
import { taskInternals, type TaskInternals } from "./define-task.ts";
import type { AnyTask, RunHandle, TriggerOptions } from "./types.ts";

/** The handle a trigger returns for a run the store created (or found, for a repeated key). */
export const handleOf = (c: CreatedRun): RunHandle<never> => ({ id: c.run.id, taskId: c.run.taskId, created: c.created });

/**
 * The handle of a run the store will certainly create (no idempotency key, no debounce, no tags: the
 * runs `Store.createPlainRun` takes), made before the insert; null for any other run.
 */
export function plainHandle(run: NewRun): RunHandle<never> | null {
  return isPlainRun(run) ? { id: run.id, taskId: run.taskId, created: true } : null;
}

/** The handle of the one run of a single trigger. */
export const firstHandle = (created: readonly CreatedRun[]): RunHandle<never> => handleOf(created[0]!);

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
  "debounce",
]);
const DEBOUNCE_OPTIONS = new Set(["key", "delay", "maxDelay"]);

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
  limits: ResolvedLimits,
  internal: InternalTrigger = {},
): Promise<NewRun> {
  const o = validateOptions(task.id, options, limits);
  await validatePayload(task, payload);
  return buildRun(task, payload, o, now, limits, internal);
}

/** No parent run, no schedule: a trigger from the application. */
const NO_INTERNAL: InternalTrigger = Object.freeze({});

/**
 * {@link prepareRun} without a promise, for a task without a schema (nothing to await): bulk triggers
 * of such tasks prepare every row synchronously. A trigger without options from the application (the
 * common case) takes {@link plainRun}.
 */
export function prepareRunSync(
  task: AnyTask,
  payload: unknown,
  options: TriggerOptions | undefined,
  now: number,
  limits: ResolvedLimits,
  internal: InternalTrigger = NO_INTERNAL,
): NewRun {
  if (task.options.schema !== undefined) throw new Error(`prepareRunSync: task "${task.id}" has a schema; use prepareRun`);
  if (options === undefined && internal === NO_INTERNAL) return plainRun(task, payload, now, limits);
  return buildRun(task, payload, validateOptions(task.id, options, limits), now, limits, internal);
}

/**
 * The row {@link buildRun} makes for a trigger without options, in one object literal: no option
 * checks, no branches on absent options.
 */
function plainRun(task: AnyTask, payload: unknown, now: number, limits: ResolvedLimits): NewRun {
  const { info, label, cap } = triggerInfo(task, limits);
  const payloadJson = toJson(payload, label, cap);
  return {
    id: newId(now),
    taskId: task.id,
    queue: info.queue,
    concurrencyKey: null,
    payload: payloadJson,
    priority: 0,
    runAt: now,
    status: "queued",
    maxAttempts: info.retry.maxAttempts,
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    expiresAt: null,
    tags: NO_TAGS,
    parentRunId: null,
    scheduleId: null,
    debounce: null,
  };
}

/** What every trigger of a task under one engine's limits shares, made once: the task's settings, the payload's label and cap. */
interface TaskTriggerInfo {
  readonly limits: ResolvedLimits;
  readonly info: TaskInternals;
  readonly label: string;
  readonly cap: JsonCap;
}

const triggerInfos = new WeakMap<AnyTask, TaskTriggerInfo>();

function triggerInfo(task: AnyTask, limits: ResolvedLimits): TaskTriggerInfo {
  let t = triggerInfos.get(task);
  if (t === undefined || t.limits !== limits) {
    t = { limits, info: taskInternals(task)!, label: `the payload of task "${task.id}"`, cap: jsonCap(limits, "payloadBytes") };
    triggerInfos.set(task, t);
  }
  return t;
}

/** A run without tags shares this (NewRun.tags is read-only). */
const NO_TAGS: readonly string[] = Object.freeze([]);

function buildRun(task: AnyTask, payload: unknown, o: CheckedOptions, now: number, limits: ResolvedLimits, internal: InternalTrigger): NewRun {
  const { info, label, cap } = triggerInfo(task, limits);
  const payloadJson = toJson(payload, label, cap);
  let runAt = now;
  if (o.delayMs !== undefined) runAt = now + o.delayMs;
  if (o.runAt !== undefined) runAt = o.runAt;
  const debounce = o.debounce === undefined ? null : { key: o.debounce.key, until: o.debounce.maxDelayMs === null ? null : now + o.debounce.maxDelayMs };
  if (o.debounce !== undefined) runAt = Math.min(now + o.debounce.delayMs, debounce!.until ?? Infinity);
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
    tags: o.tags ?? NO_TAGS,
    parentRunId: internal.parentRunId ?? null,
    scheduleId: internal.scheduleId ?? null,
    debounce,
  };
}

/** Trigger options checked and normalised: durations and times in whole ms. */
interface CheckedOptions {
  readonly delayMs?: number;
  readonly runAt?: number;
  readonly idempotencyKey?: string;
  readonly idempotencyKeyTtlMs?: number;
  readonly priority?: number;
  readonly queue?: string;
  readonly concurrencyKey?: string;
  readonly ttlMs?: number;
  readonly tags?: readonly string[];
  readonly maxAttempts?: number;
  readonly debounce?: { readonly key: string; readonly delayMs: number; readonly maxDelayMs: number | null };
}

const NO_OPTIONS: CheckedOptions = Object.freeze({});

function validateOptions(taskId: string, o: TriggerOptions | undefined, limits: ResolvedLimits): CheckedOptions {
  if (o === undefined) return NO_OPTIONS;
  const where = `trigger("${taskId}")`;
  if (o === null || typeof o !== "object") throw new TypeError(`${where}: options must be an object`);
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`${where}: unknown option \`${key}\` (known: ${[...OPTION_NAMES].join(", ")})`);
  }
  const out: { -readonly [K in keyof CheckedOptions]: CheckedOptions[K] } = {};
  const opt = (name: string) => `${where}: option \`${name}\``;
  if (o.delayMs !== undefined) out.delayMs = toMs(o.delayMs, opt("delayMs"));
  if (o.idempotencyKeyTtlMs !== undefined) out.idempotencyKeyTtlMs = toMs(o.idempotencyKeyTtlMs, opt("idempotencyKeyTtlMs"));
  if (o.ttlMs !== undefined) out.ttlMs = toMs(o.ttlMs, opt("ttlMs"), { positive: true });
  if (o.runAt !== undefined) {
    if (!(o.runAt instanceof Date) || Number.isNaN(o.runAt.getTime())) throw new TypeError(`${opt("runAt")} must be a valid Date`);
    out.runAt = toTime(o.runAt, opt("runAt"));
  }
  if (o.runAt !== undefined && o.delayMs !== undefined) throw new TypeError(`${where}: give \`delayMs\` or \`runAt\`, not both`);
  for (const name of ["idempotencyKey", "queue", "concurrencyKey"] as const) {
    if (o[name] !== undefined) out[name] = checkName(o[name], opt(name));
  }
  if (o.idempotencyKeyTtlMs !== undefined && o.idempotencyKey === undefined) {
    throw new TypeError(`${where}: option \`idempotencyKeyTtlMs\` needs \`idempotencyKey\``);
  }
  if (o.priority !== undefined) out.priority = checkInt(o.priority, opt("priority"), -MAX_PRIORITY, MAX_PRIORITY);
  if (o.maxAttempts !== undefined) out.maxAttempts = checkInt(o.maxAttempts, opt("maxAttempts"), 1);
  if (o.tags !== undefined) out.tags = checkTags(o.tags, opt("tags"), limits.tags);
  if (o.debounce !== undefined) out.debounce = checkDebounce(o, where);
  return out;
}

/** `debounce: { key, delay > 0, maxDelay? ≥ delay }`, alone among the options that set the start or dedupe. */
function checkDebounce(o: TriggerOptions, where: string): NonNullable<CheckedOptions["debounce"]> {
  const d = o.debounce;
  const what = `${where}: option \`debounce\``;
  if (d === null || typeof d !== "object") throw new TypeError(`${what} must be { key, delay, maxDelay? }`);
  for (const k of Object.keys(d)) {
    if (!DEBOUNCE_OPTIONS.has(k)) throw new TypeError(`${what}: unknown option \`debounce.${k}\` (known: key, delay, maxDelay)`);
  }
  for (const other of ["idempotencyKey", "delayMs", "runAt"] as const) {
    if (o[other] !== undefined) throw new TypeError(`${where}: give \`debounce\` or \`${other}\`, not both (debounce sets the start and keeps one pending run)`);
  }
  const key = checkName(d.key, `${what}.key`);
  const delayMs = toMs(d.delay, `${what}.delay`, { positive: true });
  const maxDelayMs = d.maxDelay === undefined ? null : toMs(d.maxDelay, `${what}.maxDelay`, { positive: true });
  if (maxDelayMs !== null && maxDelayMs < delayMs) throw new TypeError(`${what}.maxDelay (${maxDelayMs} ms) must be at least \`delay\` (${delayMs} ms)`);
  return { key, delayMs, maxDelayMs };
}

/** Highest (and, negated, lowest) priority. */
const MAX_PRIORITY = 1_000_000;

function checkTags(tags: unknown, what: string, max: number): readonly string[] {
  if (!Array.isArray(tags)) throw new TypeError(`${what} must be an array of non-empty strings (at most ${MAX_TAG_LENGTH} characters each)`);
  if (tags.length > max) throw new TypeError(`${what} has ${tags.length} tags, at most ${max} (limits.tags) are allowed`);
  tags.forEach((t, i) => checkName(t, `${what}: tag ${i}`, MAX_TAG_LENGTH));
  return [...(tags as string[])];
}

/** The handles of runs the store will certainly create (see `Store.createPlainRuns`), made before the insert. */
export const plainHandles = (runs: readonly NewRun[]): RunHandle<never>[] => runs.map((r) => ({ id: r.id, taskId: r.taskId, created: true }));

/** Whether a batch item is `{ payload, options? }` rather than a bare payload. */
export function isItem(item: unknown): item is { payload: unknown; options?: TriggerOptions } {
  return (
    item !== null &&
    typeof item === "object" &&
    "payload" in item &&
    Object.keys(item).every((k) => k === "payload" || k === "options")
  );
}
