/** JSON as Errand stores it: payloads, outputs, step results, log data and match patterns. */
import { UnstorableValueError } from "./errors.ts";

/**
 * JSON encoding that refuses what JSON cannot carry faithfully, instead of silently changing it:
 * BigInt, functions, symbols, cycles, `undefined` inside arrays, and non-finite numbers are an
 * {@link UnstorableValueError} (a `TypeError`) naming `what` (e.g. `payload of task "welcome"`) and the
 * path inside the value.
 * Objects with `toJSON` (Date) are encoded through it. `undefined` at the top level encodes as `null`;
 * `undefined` object properties are dropped (as JSON.stringify does).
 */
export function toJson(value: unknown, what: string): string {
  check(value, what, "$", new Set());
  return value === undefined ? "null" : JSON.stringify(value);
}

function check(value: unknown, what: string, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value)) fail(what, path, `the number ${value} (JSON has no NaN or Infinity)`);
      return;
    case "bigint":
      fail(what, path, "a BigInt (convert it to a string or number first)");
    case "function":
      fail(what, path, "a function");
    case "symbol":
      fail(what, path, "a symbol");
    case "object": {
      if (value === null) return;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        check((toJSON as () => unknown).call(value), what, path, seen);
        return;
      }
      if (seen.has(value)) fail(what, path, "a circular reference");
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) fail(what, `${path}[${i}]`, "undefined inside an array (JSON turns it into null)");
          check(item, what, `${path}[${i}]`, seen);
        }
      } else {
        if (value instanceof Map || value instanceof Set) {
          fail(what, path, `a ${value.constructor.name} (JSON encodes it as {})`);
        }
        for (const key of Object.keys(value)) {
          const item = (value as Record<string, unknown>)[key];
          if (typeof item === "function" || typeof item === "symbol") {
            fail(what, `${path}.${key}`, `a ${typeof item}`);
          }
          check(item, what, `${path}.${key}`, seen);
        }
      }
      seen.delete(value);
      return;
    }
  }
}

function fail(what: string, path: string, found: string): never {
  throw new UnstorableValueError(what, path, found);
}

/** Parses JSON text stored by {@link toJson}; `null` text (or null) gives `null`. */
export function fromJson<T = unknown>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}
