/** node-postgres (`pg`), loaded when a store first makes its own pool (see store/missing-driver.ts). */
import type pg from "pg";
import { loadDriver } from "../store/missing-driver.ts";

let driver: typeof pg | undefined;

/** The `pg` module (`Pool`, `Client`); MissingDriverError when the package is not installed. */
export function loadPg(): typeof pg {
  return (driver ??= loadDriver("postgresStore", "pg") as typeof pg);
}
