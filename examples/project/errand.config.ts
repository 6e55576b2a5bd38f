// Config of the example project: `errand` reads this file from the current folder.
import { sqliteStore } from "errand/sqlite";
import { failing, greet, heartbeat, importRows, refund } from "./tasks.ts";

export default {
  // A function: the database is opened only by commands that need it (`errand tasks` does not).
  store: () => sqliteStore({ path: process.env["ERRAND_DB"] ?? "errand.db" }),
  tasks: [greet, importRows, failing, heartbeat, refund],
};
