// The `errand/postgres` entry point: the scale-out store.
export { postgresStore } from "./store.ts";
export type { PostgresStoreOptions } from "./open.ts";
export type { PgPoolLike, PgClientLike, PgQueryResult } from "./driver.ts";
export { MissingDriverError } from "../store/missing-driver.ts";
