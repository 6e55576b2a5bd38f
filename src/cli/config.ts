/**
 * Finding and loading `errand.config.ts` (or .mts, .js, .mjs; see import-config.ts) and making an
 * engine from it. The config exports `{ store, tasks }`, as its default export or as named exports;
 * `store` may also be a function returning the store (opened only when a command needs it). An
 * optional `dashboardUrl` is passed to `createEngine` (waitpoint tokens then carry a callback `url`).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { createEngine } from "../engine/engine.ts";
import type { AnyTask, Engine } from "../engine/types.ts";
import type { Store } from "../store/types.ts";
import { CliError } from "./errors.ts";
import { checkOpenedStore, checkStore, checkTasks, pickExports } from "./config-shape.ts";
import { importConfig, loadErrorMessage } from "./import-config.ts";

export const CONFIG_NAMES = ["errand.config.ts", "errand.config.mts", "errand.config.js", "errand.config.mjs"] as const;

export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly path: string;
  readonly tasks: readonly AnyTask[];
  /** The config's `dashboardUrl`, if it exports one (checked by createEngine). */
  readonly dashboardUrl?: unknown;
  /** Opens (or returns) the store. */
  store(): Store;
}

/** The config file to use: `--config` when given, else the first `errand.config.*` in `cwd`. */
export function findConfig(explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) {
    const p = resolve(cwd, explicit);
    if (!existsSync(p)) throw new CliError(`config file not found: ${p} (from --config ${explicit})`);
    if (statSync(p).isDirectory()) throw new CliError(`--config ${explicit}: ${p} is a folder; give the config file itself`);
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
    throw new CliError(`cannot load ${path}: ${loadErrorMessage(error, path)}`, { cause: error });
  }
  const source = pickExports(path, mod);
  const tasks = checkTasks(path, source["tasks"]);
  const storeExport = checkStore(path, source["store"]);
  let opened: Store | null = null;
  return {
    path,
    tasks: tasks as AnyTask[],
    ...(source["dashboardUrl"] !== undefined ? { dashboardUrl: source["dashboardUrl"] } : {}),
    store() {
      if (opened !== null) return opened;
      let made: unknown;
      try {
        made = typeof storeExport === "function" ? (storeExport as () => unknown)() : storeExport;
      } catch (error) {
        throw new CliError(`cannot open the store of ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      checkOpenedStore(path, made, typeof storeExport === "function");
      return (opened = made as Store);
    },
  };
}

/**
 * Creates the engine and makes sure its database answers (migrations applied), so that an unreachable
 * database is one clear error before any command output.
 */
export async function openEngine(config: LoadedConfig): Promise<Engine> {
  let engine: Engine;
  try {
    const dashboardUrl = config.dashboardUrl as string | undefined;
    engine = createEngine({ store: config.store(), tasks: config.tasks, ...(dashboardUrl !== undefined ? { dashboardUrl } : {}) });
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
