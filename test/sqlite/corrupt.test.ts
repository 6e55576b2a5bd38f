/** A path that is not a usable SQLite database fails with a readable error naming the file, with `cause`. */
import assert from "node:assert/strict";
import { openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sqliteStore } from "errand/sqlite";
import type { Store } from "errand/store";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";
import { tempDb, tempDir } from "../support/temp.ts";

/** Opens and migrates; whichever step fails must fail readably. Returns the error. */
async function openError(path: string): Promise<Error> {
  let store: Store | null = null;
  try {
    store = sqliteStore({ path });
    await store.migrate();
    await store.listRuns({});
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  } finally {
    await store?.close();
  }
  assert.fail(`opening ${path} should have failed`);
}

function assertReadable(error: Error, path: string): void {
  assert.ok(error.message.includes(path), `the message names the file: ${error.message}`);
  assert.ok(error.cause !== undefined, "the driver's error is kept as cause");
  assert.doesNotMatch(error.message, /undefined|\[object/);
}

describe("sqliteStore on a file that is not a database", () => {
  it("a text file: names the file and says it is not an SQLite database", async () => {
    const path = join(tempDir(), "notes.txt");
    const text = "these are my notes, not a database\n".repeat(200);
    writeFileSync(path, text);
    const error = await openError(path);
    assertReadable(error, path);
    assert.match(error.message, /not an SQLite database/);
    assert.equal(readFileSync(path, "utf8"), text, "the file is left untouched");
  });

  it("a database whose pages were overwritten: readable error at migrate or first use", async () => {
    const path = tempDb();
    const good = sqliteStore({ path });
    await good.migrate();
    await good.createRuns({ runs: Array.from({ length: 200 }, () => newRun({ payload: JSON.stringify({ pad: "x".repeat(200) }) })), now: T0 });
    await good.close();
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(4096 * 4, 0xab), 0, 4096 * 4, 4096); // clobber the schema and root pages after the header page
    closeSync(fd);
    const error = await openError(path);
    assertReadable(error, path);
    assert.match(error.message, /malformed|not a database|corrupt/i);
  });

  it("a directory: names the path", async () => {
    const dir = tempDir();
    const error = await openError(dir);
    assertReadable(error, dir);
  });
});
