// The `errand/sqlite` entry point: the embedded default store.
export { sqliteStore } from "./store.ts";
export type { SqliteStoreOptions } from "./open.ts";
export type { SqliteDatabaseLike, SqliteStatementLike } from "./driver.ts";
export { SqliteBusyError } from "./busy.ts";
export { MissingDriverError } from "../store/missing-driver.ts";
