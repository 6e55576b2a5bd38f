/** The SQLite store passes the store conformance suite, on a file and in memory. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reopenable, runStoreConformance } from "../store/conformance/index.ts";
import { sqliteStore } from "./index.ts";

runStoreConformance({
  name: "sqlite (file)",
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "errand-conf-"));
    const path = join(dir, "store.db");
    return reopenable(
      () => sqliteStore({ path }),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  },
});

runStoreConformance({
  name: "sqlite (:memory:)",
  async open() {
    const store = sqliteStore({ path: ":memory:" });
    return { store, cleanup: () => store.close() };
  },
});
