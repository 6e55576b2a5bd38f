/**
 * Checking what an `errand.config.*` module exports, with errors that name the file, the export and
 * what was found instead (never the value itself beyond a short description: it may hold a secret).
 */
import { CliError } from "./errors.ts";

const EXAMPLE = `e.g. export default { store: sqliteStore({ path: "errand.db" }), tasks: [myTask] }`;

/** A short description of a value for an error message: its kind, never its content. */
export function describeValue(x: unknown): string {
  if (x === undefined) return "undefined";
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === "function") return "a function";
  if (typeof x === "object") {
    const keys = Object.keys(x);
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}`;
  }
  return `a ${typeof x}`;
}

/** The object holding `store` and `tasks`: the default export (also as CommonJS sees it), or the module. */
export function pickExports(path: string, mod: Record<string, unknown>): Record<string, unknown> {
  const holds = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && ("tasks" in x || "store" in x);
  const def = mod["default"];
  if (holds(def)) return def;
  // An ESM config compiled to CommonJS (a .ts file in a CommonJS project): module.exports.default.
  if (def !== null && typeof def === "object" && holds((def as Record<string, unknown>)["default"])) {
    return (def as Record<string, unknown>)["default"] as Record<string, unknown>;
  }
  if (holds(mod)) return mod;
  const named = Object.keys(mod).filter((k) => k !== "default" && k !== "module.exports" && k !== "__esModule");
  const found = [
    "default" in mod ? `its default export is ${describeValue(def)}` : "it has no default export",
    named.length > 0 ? `its named exports are ${named.join(", ")}` : "no named exports",
  ];
  throw new CliError(`${path} exports no \`store\` and no \`tasks\` (${found.join(", ")}). Export { store, tasks }, ${EXAMPLE}`);
}

/** The `tasks` export: an array whose entries are at least objects (createEngine checks the rest). */
export function checkTasks(path: string, tasks: unknown): readonly unknown[] {
  if (!Array.isArray(tasks)) {
    const hint = tasks !== null && typeof tasks === "object" ? " (an object of tasks? list them: tasks: [a, b])" : "";
    throw new CliError(`${path}: \`tasks\` must be an array of tasks made by defineTask(), got ${describeValue(tasks)}${hint}. ${EXAMPLE}`);
  }
  tasks.forEach((t, i) => {
    if (t === null || typeof t !== "object") {
      const hint = t === undefined ? " (a missing or misspelt import, or a task used before its definition?)" : "";
      throw new CliError(`${path}: tasks[${i}] is ${describeValue(t)}, not a task made by defineTask()${hint}`);
    }
  });
  return tasks;
}

/** The `store` export: a store, or a function that returns one (opened when a command needs it). */
export function checkStore(path: string, store: unknown): object {
  if (store === null || (typeof store !== "object" && typeof store !== "function")) {
    throw new CliError(
      `${path}: \`store\` must be a store such as sqliteStore({ path: "errand.db" }) or postgresStore({ connectionString }), or a function returning one; got ${describeValue(store)}`,
    );
  }
  return store;
}

/** What `store()` returned must look like a store; the rest is createEngine's to check. */
export function checkOpenedStore(path: string, store: unknown, made: boolean): void {
  const s = store as { claimRuns?: unknown } | null;
  if (s === null || typeof s !== "object" || typeof s.claimRuns !== "function") {
    const what = s !== null && typeof (s as { then?: unknown }).then === "function" ? "a promise (make it a plain function, not async)" : describeValue(store);
    const subject = made ? "the function `store` returned" : "`store` is";
    throw new CliError(`${path}: ${subject} ${what}, not a store such as sqliteStore({ path: "errand.db" })`);
  }
}
