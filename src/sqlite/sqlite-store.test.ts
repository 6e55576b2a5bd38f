/** The SQLite store passes the store conformance suite, on a file and in memory. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreConformance } from "../store/conformance/index.ts";
import { sqliteStore } from "./index.ts";

runStoreConformance({
  name: "sqlite (file)",
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "errand-conf-"));
    const path = join(dir, "store.db");
    const store = sqliteStore({ path });
    const others: { close(): Promise<void> }[] = [];
    return {
      store,
      reopen: async () => {
        const s = sqliteStore({ path });
        await s.migrate();
        others.push(s);
        return s;
      },
      async cleanup() {
        await store.close();
        for (const o of others) await o.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

runStoreConformance({
  name: "sqlite (:memory:)",
  async open() {
    const store = sqliteStore({ path: ":memory:" });
    return { store, cleanup: () => store.close() };
  },
});
