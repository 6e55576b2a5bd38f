/** The PostgreSQL store passes the store conformance suite (one schema per test). */
import { after } from "node:test";
import { runStoreConformance } from "../store/conformance/index.ts";
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
    const store = postgresStore({ connectionString, schema, maxConnections: 4 });
    const others: { close(): Promise<void> }[] = [];
    return {
      store,
      reopen: async () => {
        const s = postgresStore({ connectionString, schema, maxConnections: 4 });
        await s.migrate();
        others.push(s);
        return s;
      },
      async cleanup() {
        await store.close();
        for (const o of others) await o.close();
        await dropSchema(connectionString, schema);
      },
    };
  },
});
