/**
 * A password given as `?password=` (or any secret-looking parameter) in a PostgreSQL URL never shows:
 * not in `store.name`, not in thrown errors (message, stack, cause chain, driver-attached properties).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import pg from "pg";
import { postgresStore } from "../../src/postgres/index.ts";
import { freePort } from "../../bench/lib/pg-server.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";

const SECRET = "S3cretValue";

/** Everything a person could see of an error. */
function shown(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 20, showHidden: true })}`;
}

async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

after(async () => {
  await stopTestPgServer();
});

describe("PostgreSQL store: secrets in the connection string", () => {
  it("store.name hides the password and every secret parameter, and keeps the rest", async () => {
    const store = postgresStore({ connectionString: `postgres://ada:${SECRET}1@127.0.0.1:5432/app?password=${SECRET}&sslpassword=${SECRET}2&app_token=${SECRET}3&application_name=web` });
    try {
      assert.ok(!store.name.includes(SECRET), store.name);
      assert.match(store.name, /postgres:\/\/ada:\*\*\*@127\.0\.0\.1:5432\/app\?password=\*\*\*&sslpassword=\*\*\*&app_token=\*\*\*&application_name=web/);
    } finally {
      await store.close();
    }
  });

  it("connection errors (refused, unreadable sslkey) show no secret, through the whole cause chain", async () => {
    const port = await freePort();
    const refused = postgresStore({ connectionString: `postgres://ada@127.0.0.1:${port}/app?password=${SECRET}&sslpassword=${SECRET}2`, connectTimeoutMs: 2000 });
    const e1 = await failure(() => refused.migrate());
    assert.ok(!shown(e1).includes(SECRET), shown(e1));
    assert.match(String(e1), /ECONNREFUSED/);
    const e2 = await failure(() => refused.getRun({ id: "x" }));
    assert.ok(!shown(e2).includes(SECRET), shown(e2));
    await refused.close();

    // The driver reads the key file itself and echoes its path in ENOENT.
    const keyless = postgresStore({ connectionString: `postgres://ada@127.0.0.1:${port}/app?sslmode=require&sslkey=/nonexistent/${SECRET}.key`, connectTimeoutMs: 2000 });
    const e3 = await failure(() => keyless.migrate());
    assert.ok(!shown(e3).includes(SECRET), shown(e3));
    assert.match(String(e3), /ENOENT/);
    const e4 = await failure(() => keyless.getRun({ id: "x" }));
    assert.ok(!shown(e4).includes(SECRET), shown(e4));
    await keyless.close();
  });

  it("with your own pg.Pool, errors that echo its connection string's secrets are redacted too", async () => {
    const port = await freePort();
    const pool = new pg.Pool({ connectionString: `postgres://ada@127.0.0.1:${port}/app?sslmode=require&sslkey=/nonexistent/${SECRET}.key`, connectionTimeoutMillis: 2000 });
    const store = postgresStore({ pool });
    try {
      const e = await failure(() => store.migrate());
      assert.match(String(e), /ENOENT/);
      assert.ok(!shown(e).includes(SECRET), shown(e));
      assert.ok(!store.name.includes(SECRET));
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it("an unparsable URL is refused with a TypeError that does not carry the URL", () => {
    let caught: unknown;
    try {
      postgresStore({ connectionString: `postgres://ada:${SECRET}@db:99999/app?password=${SECRET}` });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof TypeError);
    assert.match(caught.message, /`connectionString`/);
    assert.ok(!shown(caught).includes(SECRET), shown(caught));
  });

  it("a real server accepts ?password= while the name stays redacted", { timeout: 120_000 }, async () => {
    const base = new URL(await freshDatabase("errand_secrets"));
    const password = base.password;
    base.password = "";
    base.searchParams.set("password", password);
    const store = postgresStore({ connectionString: base.href });
    try {
      await store.migrate();
      assert.equal(await store.getRun({ id: "nope" }), null);
      assert.match(store.name, /\?password=\*\*\*/);
    } finally {
      await store.close();
    }
  });
});
