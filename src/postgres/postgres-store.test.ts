/** The PostgreSQL store passes the store conformance suite (one schema per test). */
import { after } from "node:test";
import { reopenable, runStoreConformance } from "../store/conformance/index.ts";
import { dropSchema, freshDatabase, stopTestPgServer, uniqueSchema } from "../../test/support/pg.ts";
import { postgresStore } from "./index.ts";

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
      () => dropSchema(connectionString, schema),
    );
  },
});
