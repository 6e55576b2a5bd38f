/** Retry policies: defaults, validation and the backoff formula (shared by runs and steps). */

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

/** Fills defaults and validates; `where` names the owner in errors (e.g. `task "x": option \`retry\``). */
export function retryPolicy(options: RetryOptions | undefined, where: string, defaults: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  if (options === undefined) return defaults;
  if (options === null || typeof options !== "object") throw new TypeError(`${where} must be an object`);
  const p = { ...defaults, ...stripUndefined(options) };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) throw new TypeError(`${where}.maxAttempts must be an integer >= 1`);
  if (typeof p.factor !== "number" || !(p.factor >= 1)) throw new TypeError(`${where}.factor must be a number >= 1`);
  if (typeof p.minDelayMs !== "number" || !(p.minDelayMs >= 0)) throw new TypeError(`${where}.minDelayMs must be a number >= 0`);
  if (typeof p.maxDelayMs !== "number" || !(p.maxDelayMs >= p.minDelayMs)) {
    throw new TypeError(`${where}.maxDelayMs must be a number >= minDelayMs`);
  }
  if (typeof p.randomize !== "boolean") throw new TypeError(`${where}.randomize must be a boolean`);
  return p;
}

/**
 * Delay before the attempt after `attempt` (1-based):
 * min(maxDelayMs, minDelayMs × factor^(attempt − 1)) × (randomize ? a random factor in [1, 2) : 1),
 * capped again at maxDelayMs.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** Math.max(0, attempt - 1));
  const jittered = policy.randomize ? base * (1 + random()) : base;
  return Math.round(Math.min(policy.maxDelayMs, jittered));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
