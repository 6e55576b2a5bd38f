/** JSON as Errand stores it: payloads, outputs, step results, log data and match patterns. */
import { UnstorableValueError } from "./errors.ts";
import { UNCAPPED, type JsonCap } from "./limits.ts";
import { describeThrown } from "./serialize-error.ts";

/**
 * JSON encoding that refuses what JSON cannot carry faithfully, instead of silently changing it:
 * BigInt, functions, symbols (as values or keys), cycles, `undefined` inside arrays, non-finite
 * numbers, invalid Dates, binary data (typed arrays, ArrayBuffer, Buffer), and objects JSON turns into
 * `{}` (Map, Set, RegExp, Error, Promise, WeakMap, …). Each is an {@link UnstorableValueError} (a
 * `TypeError`) naming `what` (e.g. `the payload of task "welcome"`) and the path inside the value;
 * so is a value nested deeper than `cap.depth`, larger than `cap.bytes` UTF-8 bytes, or that throws
 * while being read (a getter, a `toJSON`, a Proxy).
 * Objects with `toJSON` (Date) are encoded through it. `undefined` at the top level encodes as `null`;
 * `undefined` object properties are dropped (as JSON.stringify does).
 */
export function toJson(value: unknown, what: string, cap: JsonCap = UNCAPPED): string {
  if (typeof value === "object" && value !== null) {
    if (cap.depth >= 1 && isFlatPlain(value)) return checkedStringify(value, what, cap);
    const walker = new Walker(what, cap.depth);
    try {
      walker.walk(value, "", 0, false);
    } catch (error) {
      if (error instanceof UnstorableValueError) throw error;
      throw walker.fail(`unreadable: reading it threw ${describeThrown(error)}`, error);
    }
  } else if (value === undefined) {
    return "null";
  } else {
    new Walker(what, cap.depth).walkEncoded(value, 0); // a primitive: refuses BigInt, NaN, …
  }
  return checkedStringify(value, what, cap);
}

/** JSON.stringify of a value the walk accepted, under the byte cap. */
function checkedStringify(value: unknown, what: string, cap: JsonCap): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new UnstorableValueError(what, "$", `not encodable: JSON.stringify threw ${describeThrown(error)}`, { cause: error });
  }
  json ??= "null";
  // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only when the length alone cannot decide.
  if (json.length * 3 > cap.bytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > cap.bytes) {
      throw new UnstorableValueError(what, "$", `${bytes} bytes, over the limit of ${cap.bytes} bytes (limits.${cap.name})`);
    }
  }
  return json;
}

/** Parses JSON text stored by {@link toJson}; `null` text (or null) gives `null`. */
export function fromJson<T = unknown>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/**
 * The common payload shape, `{ id: 1, name: "x" }`, accepted without the full walk: a plain object
 * (prototype Object.prototype) without symbol keys whose own enumerable values are all strings,
 * booleans, null or finite numbers. Anything else (or a value that throws while being read) returns
 * false and goes through the walk, which gives the precise refusal. Reading values is side-effect
 * free for such objects except through getters, which JSON.stringify calls anyway.
 */
function isFlatPlain(value: object): boolean {
  try {
    if (Object.getPrototypeOf(value) !== Object.prototype || Array.isArray(value)) return false;
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false; // own, hidden or inherited
    const keys = Object.keys(value);
    if (keys.length > 32 || Object.getOwnPropertySymbols(value).length > 0) return false;
    for (let i = 0; i < keys.length; i++) {
      const item: unknown = (value as Record<string, unknown>)[keys[i]!];
      switch (typeof item) {
        case "string":
        case "boolean":
          continue;
        case "number":
          if (Number.isFinite(item)) continue;
          return false;
        case "object":
          if (item === null) continue;
          return false;
        default:
          return false; // undefined, functions (toJSON too), symbols, BigInt: the walk decides
      }
    }
    return true;
  } catch {
    return false;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Objects JSON.stringify turns into `{}` or garbage, by constructor. */
const REFUSED: readonly (readonly [Function, string])[] = [
  [Map, "a Map (JSON encodes it as {}; convert it with Object.fromEntries or [...map])"],
  [Set, "a Set (JSON encodes it as {}; convert it with [...set])"],
  [WeakMap, "a WeakMap"],
  [WeakSet, "a WeakSet"],
  [RegExp, "a RegExp (JSON encodes it as {}; store its source)"],
  [Error, "an Error (JSON encodes it as {}; store { name, message })"],
  [Promise, "a Promise (await it first)"],
  [ArrayBuffer, "an ArrayBuffer (binary data: encode it, e.g. as base64)"],
];

/** One depth-first walk over a value; `keys` is the path to where it is. */
class Walker {
  readonly keys: (string | number)[] = [];
  /** The objects being walked, outermost first (a cycle leads back to one of them). */
  readonly ancestors: object[] = [];
  constructor(
    readonly what: string,
    readonly maxDepth: number,
  ) {}

  /** `value` as JSON.stringify sees it: through `toJSON` first (called with its key, as JSON does). */
  walk(value: unknown, key: string, depth: number, inArray: boolean): void {
    if (typeof value === "object" && value !== null) {
      // Binary data first: Buffer's toJSON would turn it into { type, data } silently.
      if (ArrayBuffer.isView(value)) this.refuseExotic(value);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        if (value instanceof Date && Number.isNaN(value.getTime())) throw this.fail("an invalid Date (JSON encodes it as null)");
        const replaced: unknown = toJSON.call(value, key);
        if (replaced === undefined && inArray) throw this.fail("undefined inside an array (toJSON returned undefined; JSON turns it into null)");
        this.walkEncoded(replaced, depth);
        return;
      }
    }
    this.walkEncoded(value, depth);
  }

  /** `value` after `toJSON`: its own `toJSON` is not called again (as in JSON.stringify). */
  walkEncoded(value: unknown, depth: number): void {
    switch (typeof value) {
      case "string":
      case "boolean":
      case "undefined":
        return;
      case "number":
        if (!Number.isFinite(value)) throw this.fail(`the number ${value} (JSON has no NaN or Infinity)`);
        return;
      case "bigint":
        throw this.fail("a BigInt (convert it to a string or number first)");
      case "function":
        throw this.fail("a function");
      case "symbol":
        throw this.fail("a symbol");
      case "object":
        if (value !== null) this.walkObject(value, depth + 1);
        return;
    }
  }

  walkObject(value: object, depth: number): void {
    if (depth > this.maxDepth) throw this.fail(`nested deeper than ${this.maxDepth} levels (limits.jsonDepth)`);
    if (this.ancestors.includes(value)) throw this.fail("a circular reference");
    const proto: unknown = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      this.ancestors.push(value);
      this.walkArray(value, depth);
      this.ancestors.pop();
      return;
    }
    if (proto !== Object.prototype && proto !== null) {
      const boxed = unbox(value);
      if (boxed !== value) return this.walkEncoded(boxed, depth);
      this.refuseExotic(value);
    }
    const symbols = Object.getOwnPropertySymbols(value);
    for (const s of symbols) {
      if (Object.prototype.propertyIsEnumerable.call(value, s)) throw this.fail(`an object with a symbol key (${String(s)}; JSON drops it)`);
    }
    this.ancestors.push(value);
    const keys = this.keys;
    for (const key of Object.keys(value)) {
      keys.push(key);
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item === "function" || typeof item === "symbol") {
        // An own toJSON method is JSON's protocol (it was called already), not data that gets dropped.
        if (key === "toJSON" && typeof item === "function") {
          keys.pop();
          continue;
        }
        throw this.fail(`a ${typeof item}`);
      }
      this.walk(item, key, depth, false);
      keys.pop();
    }
    this.ancestors.pop();
  }

  walkArray(value: readonly unknown[], depth: number): void {
    const keys = this.keys;
    for (let i = 0; i < value.length; i++) {
      keys.push(i);
      const item: unknown = value[i];
      if (item === undefined) throw this.fail("undefined inside an array (JSON turns it into null)");
      this.walk(item, String(i), depth, true);
      keys.pop();
    }
  }

  refuseExotic(value: object): void {
    if (ArrayBuffer.isView(value)) {
      const name = value.constructor?.name ?? "typed array";
      throw this.fail(`a ${name} (binary data: JSON encodes it as {"0":…}; encode it, e.g. as base64)`);
    }
    for (const [ctor, found] of REFUSED) if (value instanceof ctor) throw this.fail(found);
  }

  fail(found: string, cause?: unknown): UnstorableValueError {
    return new UnstorableValueError(this.what, pathOf(this.keys), found, cause === undefined ? undefined : { cause });
  }
}

/** The primitive inside a Number, String, Boolean or BigInt object (JSON encodes those as primitives). */
function unbox(value: object): unknown {
  if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) return value.valueOf();
  return value;
}

/** `$.a[0]["odd key"]` */
export function pathOf(keys: readonly (string | number)[]): string {
  let path = "$";
  for (const k of keys) path += typeof k === "number" ? `[${k}]` : IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return path;
}
