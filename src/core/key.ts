/**
 * Input keys for in-process tasks. Primitives are keyed by value (the Map key is the primitive itself,
 * so `1` and `"1"` stay apart); plain objects and arrays get a stable structural string in which object
 * key order does not matter. Anything that cannot be keyed faithfully is a TypeError naming the task.
 */

/** The value used as the cache key for `input` (a primitive as-is, else a structural string). */
export function cacheKey(input: unknown, taskName: string): unknown {
  if (input === null || (typeof input !== "object" && typeof input !== "function" && typeof input !== "symbol")) {
    // A string starting with the object marker is quoted, so it cannot collide with an object's key.
    return typeof input === "string" && input.charCodeAt(0) === 0 ? "\u0000" + JSON.stringify(input) : input;
  }
  return "\u0000" + structuralKey(input, taskName);
}

/** A string key for any keyable input (used for persisted keys and error messages). */
export function structuralKey(input: unknown, taskName: string): string {
  try {
    return write(input, []);
  } catch (error) {
    if (!(error instanceof Unkeyable)) throw error;
    throw new TypeError(`task "${taskName}": cannot key its input: input${error.path.join("")} is ${error.found}`);
  }
}

/** Thrown inside `write`; each level adds its path segment on the way out (no path strings on success). */
class Unkeyable {
  readonly path: string[] = [];
  readonly found: string;
  constructor(found: string) {
    this.found = found;
  }
}

/** `seen`: the objects on the current path (a short stack; detects cycles, allows shared references). */
function write(value: unknown, seen: object[]): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "undefined";
    case "function":
    case "symbol":
      throw new Unkeyable(`a ${typeof value}`);
    case "object": {
      if (value === null) return "null";
      if (value instanceof Date) return `Date(${value.getTime()})`;
      if (seen.includes(value)) throw new Unkeyable("a circular reference");
      let out: string;
      seen.push(value);
      if (Array.isArray(value)) {
        out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += child(value[i], seen, i);
        }
        out += "]";
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const kind = (value as object).constructor?.name ?? "class instance";
          throw new Unkeyable(`a ${kind} (only plain objects, arrays and primitives are keyed; pass a \`key\` option)`);
        }
        const keys = Object.keys(value);
        if (keys.length > 1) keys.sort();
        out = "{";
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          if (i > 0) out += ",";
          out += JSON.stringify(k) + ":" + child((value as Record<string, unknown>)[k], seen, k);
        }
        out += "}";
      }
      seen.pop();
      return out;
    }
  }
}

/** `at`: an array index or an object key, for the path in the error message. */
function child(value: unknown, seen: object[], at: number | string): string {
  // Primitives need no try frame.
  if (value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")) {
    return write(value, seen);
  }
  try {
    return write(value, seen);
  } catch (error) {
    if (error instanceof Unkeyable) error.path.unshift(typeof at === "number" ? `[${at}]` : `.${at}`);
    throw error;
  }
}

/** Short text for an input in messages: `1`, `"a"`, `{"id":1}` (truncated). */
export function describeInput(input: unknown, taskName: string): string {
  let text: string;
  try {
    text = typeof input === "string" ? JSON.stringify(input) : structuralKey(input, taskName);
  } catch {
    text = String(input);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
