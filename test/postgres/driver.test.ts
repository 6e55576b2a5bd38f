/**
 * The PostgreSQL store's client-side helpers for its hot statements: a `text[]` parameter written as
 * an array literal, and the claim's column parsers. Each is checked against PostgreSQL itself and
 * against node-postgres's own parsers.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { hotTypes, textArrayLiteral } from "../../src/postgres/driver.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";

after(async () => {
  await stopTestPgServer();
});

describe("postgres driver helpers", () => {
  it("textArrayLiteral: PostgreSQL reads back exactly the values given, whatever they hold", async () => {
    const client = new pg.Client({ connectionString: await freshDatabase() });
    await client.connect();
    try {
      const cases: string[][] = [
        [],
        ["0192f3a4b5c6d7e8-0001", "0192f3a4b5c6d7e8-0002"],
        ["NULL", "null", ""],
        ['a "quoted" id', "back\\slash", "both \\\" here", "{braces}", "comma,inside", " spaces "],
      ];
      for (const values of cases) {
        const r = await client.query<{ v: string[] }>("SELECT $1::text[] AS v", [textArrayLiteral(values)]);
        assert.deepEqual(r.rows[0]!.v, values);
      }
    } finally {
      await client.end();
    }
  });

  it("hotTypes: bigint and text[] columns read as node-postgres reads them; other types use its parsers", async () => {
    const types = hotTypes();
    assert.ok(types !== undefined);
    const client = new pg.Client({ connectionString: await freshDatabase() });
    await client.connect();
    try {
      const sql = "SELECT 1735689600123::bigint AS a, (-5)::bigint AS b, '{}'::text[] AS c, ARRAY['x', 'y,z', NULL]::text[] AS d, 7::int AS e, true AS f, 0.5::real AS g";
      const plain = (await client.query({ text: sql, rowMode: "array" })).rows[0];
      const hot = (await client.query({ text: sql, rowMode: "array", types })).rows[0];
      assert.deepEqual(hot, plain);
      assert.deepEqual(hot, ["1735689600123", "-5", [], ["x", "y,z", null], 7, true, 0.5]);
    } finally {
      await client.end();
    }
  });
});
