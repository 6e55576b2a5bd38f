/**
 * Size limits of what Errand stores (engine option `limits`), and the fixed limits of names, keys and
 * integers that both stores share. Every limit is checked in the engine before any store call, so
 * SQLite and PostgreSQL accept and refuse exactly the same input.
 */

/** The engine option `limits`: caps on stored values. Sizes are UTF-8 bytes of the stored JSON. */
export interface Limits {
  /** Largest payload of a trigger, an event (`sendEvent`), a schedule or a `waitForEvent` match. @default 1_048_576 (1 MiB) */
  readonly payloadBytes?: number;
  /** Largest output of a run (what `run` returns). @default 1_048_576 (1 MiB) */
  readonly outputBytes?: number;
  /** Largest result of one step (`ctx.step`). @default 1_048_576 (1 MiB) */
  readonly stepOutputBytes?: number;
  /**
   * Largest log line: the message, and separately its data. A longer message is cut (saying so);
   * larger data is replaced by a note saying why. @default 65_536 (64 KiB)
   */
  readonly logLineBytes?: number;
  /** Most tags on one run. @default 64 */
  readonly tags?: number;
  /** Deepest nesting of objects and arrays in any stored value (at most 1,000). @default 256 */
  readonly jsonDepth?: number;
}

export type ResolvedLimits = { readonly [K in keyof Limits]-?: number };

export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  payloadBytes: 1_048_576,
  outputBytes: 1_048_576,
  stepOutputBytes: 1_048_576,
  logLineBytes: 65_536,
  tags: 64,
  jsonDepth: 256,
});

/** The largest value any byte limit may be set to (256 MiB). */
export const MAX_BYTES_LIMIT = 268_435_456;
/** The deepest `jsonDepth` may be set to: deeper values would strain the stack of every reader. */
export const MAX_JSON_DEPTH = 1000;
/** The most tags `limits.tags` may allow. */
export const MAX_TAGS_LIMIT = 10_000;

// Fixed limits (the stores' indexes and integer columns set them).
/** Longest queue name, concurrency key, idempotency key, event name or schedule key, in characters. */
export const MAX_NAME_LENGTH = 512;
/** Longest tag, in characters. */
export const MAX_TAG_LENGTH = 128;
/** Longest step, sleep or wait key (one segment), in characters. */
export const MAX_KEY_LENGTH = 256;
/** Longest full step path (`parent/child/…`), in characters. */
export const MAX_PATH_LENGTH = 512;
/** Longest progress message, in characters. */
export const MAX_PROGRESS_MESSAGE_LENGTH = 1000;
/** Largest `maxAttempts`, `concurrencyLimit` and other counts stored as 32-bit integers. */
export const MAX_INT32 = 2_147_483_647;

const BYTE_KEYS = ["payloadBytes", "outputBytes", "stepOutputBytes", "logLineBytes"] as const;
const KEYS = new Set<string>([...BYTE_KEYS, "tags", "jsonDepth"]);

/** Fills defaults and validates the `limits` option; `where` names the owner (e.g. `createEngine`). */
export function resolveLimits(options: Limits | undefined, where: string): ResolvedLimits {
  if (options === undefined) return DEFAULT_LIMITS;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: option \`limits\` must be an object such as { payloadBytes: 1_048_576 }`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`${where}: unknown option \`limits.${key}\` (known: ${[...KEYS].join(", ")})`);
  }
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  const set = (key: keyof Limits, max: number) => {
    const v = options[key];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
      throw new TypeError(`${where}: option \`limits.${key}\` must be an integer from 1 to ${max}, got ${String(v)}`);
    }
    out[key] = v;
  };
  for (const key of BYTE_KEYS) set(key, MAX_BYTES_LIMIT);
  set("tags", MAX_TAGS_LIMIT);
  set("jsonDepth", MAX_JSON_DEPTH);
  return Object.freeze(out) as ResolvedLimits;
}

/** What `toJson` enforces: a byte cap (named for messages) and a nesting depth. */
export interface JsonCap {
  readonly bytes: number;
  /** The `limits` key, for messages (e.g. `payloadBytes`). */
  readonly name: string;
  readonly depth: number;
}

/** The cap for values checked against `limits[name]`. */
export function jsonCap(limits: ResolvedLimits, name: (typeof BYTE_KEYS)[number]): JsonCap {
  return { bytes: limits[name], name, depth: limits.jsonDepth };
}

/** No byte cap; the default depth. */
export const UNCAPPED: JsonCap = Object.freeze({ bytes: Infinity, name: "", depth: DEFAULT_LIMITS.jsonDepth });
