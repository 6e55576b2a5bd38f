/**
 * Checks of names, keys and integers shared by every entry point, so both stores see only what both
 * can store the same way: no NUL characters (PostgreSQL text cannot hold them), no lone surrogates
 * (they cannot be encoded as UTF-8), lengths that fit the stores' indexes, integers that fit 32 bits.
 * Errors are `TypeError`s whose message starts with `what` (the call and option).
 */
import { MAX_INT32, MAX_NAME_LENGTH } from "./limits.ts";

/** A NUL, or a surrogate that is not half of a pair. */
const UNSTORABLE_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A non-empty string of at most `max` characters that both stores store as given. */
export function checkName(value: unknown, what: string, max: number = MAX_NAME_LENGTH): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${what} must be a non-empty string (at most ${max} characters), got ${brief(value)}`);
  }
  if (value.length > max) throw new TypeError(`${what} must be at most ${max} characters, got ${value.length}`);
  const bad = UNSTORABLE_CHAR.exec(value);
  if (bad !== null) {
    const what2 = bad[0] === "\u0000" ? "a NUL character" : "a lone surrogate (half of a UTF-16 pair)";
    throw new TypeError(`${what} must not contain ${what2} (found at index ${bad.index})`);
  }
  return value;
}

/** An integer in [min, max]. */
export function checkInt(value: unknown, what: string, min: number, max: number = MAX_INT32): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${what} must be an integer from ${min} to ${max}, got ${brief(value)}`);
  }
  return value;
}

/** True when `s` holds a NUL or a lone surrogate. */
export function hasUnstorableChar(s: string): boolean {
  return UNSTORABLE_CHAR.test(s);
}

/**
 * Text that must be stored whatever it holds (log messages): NUL becomes the six characters `\u0000`,
 * a lone surrogate becomes U+FFFD, so both stores keep the same line instead of one failing on it.
 */
export function storableText(s: string): string {
  if (!UNSTORABLE_CHAR.test(s)) return s;
  return s.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => (c === "\u0000" ? "\\u0000" : "\uFFFD"));
}

/** A value for a message: short, never throwing. */
export function brief(v: unknown): string {
  if (typeof v === "string") return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}… (${v.length} characters)` : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol" || typeof v === "function") return `a ${typeof v}`;
  if (Array.isArray(v)) return "an array";
  return "an object";
}
