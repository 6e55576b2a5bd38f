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
  const out: string[] = [];
  write(input, taskName, out, new Set(), "input");
  return out.join("");
}

function write(value: unknown, taskName: string, out: string[], seen: Set<object>, path: string): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "number":
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "bigint":
      out.push(`${value}n`);
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "undefined":
      out.push("undefined");
      return;
    case "function":
    case "symbol":
      throw unkeyable(taskName, path, `a ${typeof value}`);
    case "object": {
      if (value === null) {
        out.push("null");
        return;
      }
      if (value instanceof Date) {
        out.push(`Date(${value.getTime()})`);
        return;
      }
      if (seen.has(value)) throw unkeyable(taskName, path, "a circular reference");
      seen.add(value);
      if (Array.isArray(value)) {
        out.push("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",");
          write(value[i], taskName, out, seen, `${path}[${i}]`);
        }
        out.push("]");
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const kind = (value as object).constructor?.name ?? "class instance";
          throw unkeyable(taskName, path, `a ${kind} (only plain objects, arrays and primitives are keyed; pass a \`key\` option)`);
        }
        const keys = Object.keys(value).sort();
        out.push("{");
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          if (i > 0) out.push(",");
          out.push(JSON.stringify(k), ":");
          write((value as Record<string, unknown>)[k], taskName, out, seen, `${path}.${k}`);
        }
        out.push("}");
      }
      seen.delete(value);
      return;
    }
  }
}

function unkeyable(taskName: string, path: string, found: string): TypeError {
  return new TypeError(`task "${taskName}": cannot key its input: ${path} is ${found}`);
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
