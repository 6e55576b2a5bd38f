/**
 * Payloads from the command line: `--payload '<json>'` or `--key value` pairs (values that parse as
 * JSON are taken as JSON — numbers, booleans, null, objects — anything else as a string; dotted keys
 * nest: `--user.id 7` → `{ user: { id: 7 } }`).
 */
import { CliError } from "./errors.ts";

/** Parses JSON text; a syntax error names the position and shows where it is. */
export function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const m = /position (\d+)/.exec(message);
    const pos = m !== null ? Number(m[1]) : errorPosition(text);
    let pointer = "";
    if (pos !== null) {
      const start = Math.max(0, pos - 30);
      const snippet = text.slice(start, pos + 30).replace(/\s/g, " ");
      pointer = `${m === null ? ` (at position ${pos})` : ""}\n  ${snippet}\n  ${" ".repeat(pos - start)}^`;
    } else if (text.trim() === "") {
      pointer = " (the text is empty)";
    }
    throw new CliError(`${what} is not valid JSON: ${message}${pointer}`, { cause: error });
  }
}

/**
 * Where JSON.parse gives up, for engines whose message has no position (Node 20): the shortest
 * prefix that fails other than by ending early. Only for short texts (quadratic).
 */
function errorPosition(text: string): number | null {
  if (text.length > 5000) return null;
  for (let i = 1; i <= text.length; i++) {
    try {
      JSON.parse(text.slice(0, i));
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      if (/end of (JSON )?input|Unterminated|\bExpected/.test(message) && i < text.length) continue;
      if (/end of (JSON )?input/i.test(message)) return null;
      return i - 1;
    }
  }
  return null;
}

/** Turns `["--a", "1", "--b=x", "--flag"]` into `{ a: 1, b: "x", flag: true }`. */
export function pairsToObject(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--") || arg === "--") {
      throw new CliError(`unexpected argument "${arg}": payload fields are written --key value (or use --payload '<json>')`);
    }
    let key = arg.slice(2);
    let raw: string | undefined;
    const eq = key.indexOf("=");
    if (eq >= 0) {
      raw = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) {
      raw = args[++i];
    }
    if (key === "" || key.split(".").some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")) {
      throw new CliError(`bad payload field name "${arg}"`);
    }
    setPath(out, key.split("."), raw === undefined ? true : coerce(raw));
  }
  return out;
}

function coerce(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = target;
  for (const part of path.slice(0, -1)) {
    const next = obj[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (Object.hasOwn(obj, last)) throw new CliError(`payload field --${path.join(".")} is given twice`);
  obj[last] = value;
}

/** The payload of `run`/`trigger`: `--payload` JSON, or `--key value` pairs, or undefined (none). */
export function payloadFrom(json: string | undefined, extra: readonly string[]): unknown {
  if (json !== undefined && extra.length > 0) {
    throw new CliError(`give the payload either as --payload '<json>' or as --key value pairs, not both (extra: ${extra.join(" ")})`);
  }
  if (json !== undefined) return parseJsonArg(json, "--payload");
  if (extra.length > 0) return pairsToObject(extra);
  return undefined;
}
