/**
 * Finding and loading `errand.config.ts` (or .mts, .js, .mjs; see import-config.ts) and making an
 * engine from it. The config exports `{ store, tasks }`, as its default export or as named exports;
 * `store` may also be a function returning the store (opened only when a command needs it).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createEngine } from "../engine/engine.ts";
import type { AnyTask, Engine } from "../engine/types.ts";
import type { Store } from "../store/types.ts";
import { CliError } from "./errors.ts";
import { importConfig } from "./import-config.ts";

export const CONFIG_NAMES = ["errand.config.ts", "errand.config.mts", "errand.config.js", "errand.config.mjs"] as const;

export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly path: string;
  readonly tasks: readonly AnyTask[];
  /** Opens (or returns) the store. */
  store(): Store;
}

/** The config file to use: `--config` when given, else the first `errand.config.*` in `cwd`. */
export function findConfig(explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) {
    const p = resolve(cwd, explicit);
    if (!existsSync(p)) throw new CliError(`config file not found: ${p} (from --config ${explicit})`);
    return p;
  }
  for (const name of CONFIG_NAMES) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  throw new CliError(
    `no errand.config.ts in ${cwd}. Create one that exports { store, tasks }, e.g.\n` +
      `  import { sqliteStore } from "errand/sqlite";\n` +
      `  export const store = sqliteStore({ path: "errand.db" });\n` +
      `  export const tasks = [myTask];\n` +
      `or pass --config <path>.`,
  );
}

export async function loadConfig(explicit: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const path = findConfig(explicit, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = await importConfig(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const source = pickExports(mod);
  const tasks = source["tasks"];
  if (!Array.isArray(tasks)) {
    throw new CliError(`${path} must export \`tasks\`: an array of tasks made by defineTask() (as a named export or in the default export)`);
  }
  const storeExport = source["store"];
  if (storeExport === undefined || storeExport === null || (typeof storeExport !== "object" && typeof storeExport !== "function")) {
    throw new CliError(`${path} must export \`store\`: e.g. sqliteStore({ path: "errand.db" }) (as a named export or in the default export)`);
  }
  let opened: Store | null = null;
  return {
    path,
    tasks: tasks as AnyTask[],
    store() {
      if (opened !== null) return opened;
      try {
        opened = typeof storeExport === "function" ? (storeExport as () => Store)() : (storeExport as Store);
      } catch (error) {
        throw new CliError(`cannot open the store of ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      return opened;
    },
  };
}

function pickExports(mod: Record<string, unknown>): Record<string, unknown> {
  const holds = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && ("tasks" in x || "store" in x);
  const def = mod["default"];
  if (holds(def)) return def;
  // An ESM config compiled to CommonJS (a .ts file in a CommonJS project): module.exports.default.
  if (def !== null && typeof def === "object" && holds((def as Record<string, unknown>)["default"])) {
    return (def as Record<string, unknown>)["default"] as Record<string, unknown>;
  }
  return mod;
}

/**
 * Creates the engine and makes sure its database answers (migrations applied), so that an unreachable
 * database is one clear error before any command output.
 */
export async function openEngine(config: LoadedConfig): Promise<Engine> {
  let engine: Engine;
  try {
    engine = createEngine({ store: config.store(), tasks: config.tasks });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${config.path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    await engine.store.migrate();
  } catch (error) {
    await engine.close().catch(() => {});
    throw new CliError(`cannot reach the database (${engine.store.name}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return engine;
}

/** Looks a task up by id; an unknown id is an error listing the known ones. */
export function findTask(engine: Engine, id: string): AnyTask {
  const task = engine.tasks.get(id);
  if (task === undefined) {
    const known = [...engine.tasks.keys()];
    throw new CliError(`unknown task "${id}". Known tasks: ${known.length > 0 ? known.join(", ") : "(none — add some to `tasks` in the config)"}`);
  }
  return task;
}
