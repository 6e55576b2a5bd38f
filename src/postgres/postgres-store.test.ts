/**
 * The PostgreSQL store passes the store conformance suite (one schema per test). After every test
 * the run counters (run_counts, run_minutes) must equal what counting both run tables gives (live and
 * history, each run in the table its status belongs to): every
 * statement of the suite that inserts, finishes, moves or deletes runs keeps them exact.
 */
import { after } from "node:test";
import { reopenable, runStoreConformance } from "../store/conformance/index.ts";
import { dropSchema, freshDatabase, stopTestPgServer, uniqueSchema } from "../../test/support/pg.ts";
import { postgresStore } from "./index.ts";
import { assertCountersExact } from "../../test/support/pg-counters.ts";

let url: Promise<string> | null = null;
after(async () => {
  await stopTestPgServer();
});

runStoreConformance({
  name: "postgres",
  async open() {
    url ??= freshDatabase("errand_conformance");
    const connectionString = await url;
    const schema = uniqueSchema();
    return reopenable(
      () => postgresStore({ connectionString, schema, maxConnections: 4 }),
      async () => {
        try {
          await assertCountersExact(connectionString, schema);
        } finally {
          await dropSchema(connectionString, schema);
        }
      },
    );
  },
});
