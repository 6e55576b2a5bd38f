/**
 * Both stores for engine-level tests: `for (const kind of STORE_KINDS) describe(kind.name, …)`. SQLite
 * gets a fresh file per store; PostgreSQL a fresh schema in one database per test process (call
 * `after(stopTestPgServer)` in the test file).
 */
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "../../src/store/types.ts";
import { freshDatabase, uniqueSchema } from "./pg.ts";
import { tempDb } from "./temp.ts";

export interface StoreKind {
  readonly name: "sqlite" | "postgres";
  open(): Promise<Store>;
}

let pgUrl: Promise<string> | null = null;

export const STORE_KINDS: readonly StoreKind[] = [
  { name: "sqlite", open: async () => sqliteStore({ path: tempDb() }) },
  {
    name: "postgres",
    async open() {
      pgUrl ??= freshDatabase("errand_both");
      return postgresStore({ connectionString: await pgUrl, schema: uniqueSchema() });
    },
  },
];
