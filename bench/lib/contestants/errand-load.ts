/**
 * Loads Errand's engine and stores from src/ at run time, so the benches type-check and run their peer
 * side even while the engine is being written (then the Errand rows say "not available").
 */
import type Database from "better-sqlite3";
import type { Engine, Task, TaskOptions } from "../../../src/engine/types.ts";
import type { Store } from "../../../src/store/types.ts";

export interface ErrandApi {
  createEngine(options: { store: Store; tasks: readonly Task<any, any, any>[] }): Engine;
  defineTask<P, O>(options: TaskOptions<P, O>): Task<P, O, P>;
  sqliteStore(options: { path?: string; database?: Database.Database; [k: string]: unknown }): Store;
  postgresStore(options: { connectionString: string; [k: string]: unknown }): Store;
}

function pick<T>(mod: Record<string, unknown>, name: string, file: string): T {
  const v = mod[name];
  if (typeof v !== "function") throw new Error(`Errand not available yet: ${file} does not export ${name}`);
  return v as T;
}

/** The Errand functions the benches use; throws "Errand not available yet: …" when one is missing. */
export async function loadErrand(need: "sqlite" | "postgres"): Promise<ErrandApi> {
  const main = (await import("../../../src/index.ts")) as Record<string, unknown>;
  const api: Partial<ErrandApi> = {
    createEngine: pick(main, "createEngine", "src/index.ts"),
    defineTask: pick(main, "defineTask", "src/index.ts"),
  };
  if (need === "sqlite") {
    const m = (await import("../../../src/sqlite/index.ts")) as Record<string, unknown>;
    api.sqliteStore = pick(m, "sqliteStore", "src/sqlite/index.ts");
  } else {
    const m = (await import("../../../src/postgres/index.ts")) as Record<string, unknown>;
    api.postgresStore = pick(m, "postgresStore", "src/postgres/index.ts");
  }
  return api as ErrandApi;
}
