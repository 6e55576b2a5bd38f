// The `errand/sqlite` entry point: the embedded default store.
export { sqliteStore } from "./store.ts";
export type { SqliteStoreOptions } from "./open.ts";
export type { SqliteDatabaseLike, SqliteStatementLike } from "./driver.ts";
export { SqliteBusyError } from "./busy.ts";
export { SqliteFileGoneError } from "./file-guard.ts";
export { SqliteReadonlyError } from "./readonly.ts";
export { MissingDriverError } from "../store/missing-driver.ts";
