/** Retry policies: defaults, validation and the backoff formula (shared by runs and steps). */
import { MAX_DURATION_MS, toMs } from "./duration.ts";
import { MAX_INT32 } from "./limits.ts";
import { checkInt } from "./validate.ts";

/** A task's or a step's `retry` option; missing fields take the defaults below. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Growth of the delay per attempt. @default 2 */
  readonly factor?: number;
  /** Delay before the second attempt. @default 1000 */
  readonly minDelayMs?: number;
  /** Upper bound of any delay. @default 60_000 */
  readonly maxDelayMs?: number;
  /** Multiply each delay by a random factor in [1, 2). @default true */
  readonly randomize?: boolean;
}

/** {@link RetryOptions} with every default filled in and validated. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly factor: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly randomize: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, factor: 2, minDelayMs: 1000, maxDelayMs: 60_000, randomize: true };

/**
 * Fills defaults and validates; `owner` names who has the option in errors (e.g. `defineTask("x")`,
 * `step "a/b"`), which then name the field: ``defineTask("x"): option `retry.maxAttempts` …``.
 * Delays go through the one duration parser ({@link toMs}): finite, whole ms, at most {@link MAX_DURATION_MS}.
 */
export function retryPolicy(options: RetryOptions | undefined, owner: string, defaults: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  if (options === undefined) return defaults;
  const opt = (name: string) => `${owner}: option \`retry${name === "" ? "" : `.${name}`}\``;
  if (options === null || typeof options !== "object") throw new TypeError(`${opt("")} must be an object`);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULT_RETRY, key)) throw new TypeError(`${owner}: unknown option \`retry.${key}\` (known: ${Object.keys(DEFAULT_RETRY).join(", ")})`);
  }
  const p = { ...defaults, ...stripUndefined(options) };
  const maxAttempts = checkInt(p.maxAttempts, opt("maxAttempts"), 1, MAX_INT32);
  if (typeof p.factor !== "number" || !Number.isFinite(p.factor) || !(p.factor >= 1)) {
    throw new TypeError(`${opt("factor")} must be a finite number >= 1, got ${String(p.factor)}`);
  }
  const minDelayMs = toMs(p.minDelayMs, opt("minDelayMs"));
  const maxDelayMs = toMs(p.maxDelayMs, opt("maxDelayMs"));
  if (maxDelayMs < minDelayMs) throw new TypeError(`${opt("maxDelayMs")} must be >= minDelayMs (${minDelayMs}), got ${maxDelayMs}`);
  if (typeof p.randomize !== "boolean") throw new TypeError(`${opt("randomize")} must be a boolean`);
  return { maxAttempts, factor: p.factor, minDelayMs, maxDelayMs, randomize: p.randomize };
}

/**
 * Delay before the attempt after `attempt` (1-based):
 * min(maxDelayMs, minDelayMs × factor^(attempt − 1)) × (randomize ? a random factor in [1, 2) : 1),
 * capped again at maxDelayMs.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  // Growth can overflow to Infinity after many attempts; 0 × Infinity would be NaN.
  const growth = policy.factor ** Math.max(0, attempt - 1);
  const base = policy.minDelayMs === 0 ? 0 : Math.min(policy.maxDelayMs, policy.minDelayMs * growth);
  const jittered = policy.randomize ? base * (1 + random()) : base;
  return Math.round(Math.min(policy.maxDelayMs, jittered));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
