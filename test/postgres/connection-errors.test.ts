/**
 * The PostgreSQL store wraps only connection failures into a StoreConnectionError naming the
 * database ("cannot use …"); a bad statement or a bug passes through unchanged.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { StoreConnectionError } from "errand";
import { postgresStore } from "errand/postgres";
import { isConnectionError, isLostConnection } from "../../src/postgres/connection-errors.ts";
import { freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";

after(() => stopTestPgServer());

const withCode = (message: string, code: string, extra: object = {}) => Object.assign(new Error(message), { code, ...extra });

describe("postgres: which errors are connection errors", () => {
  it("socket, DNS, TLS and SQLSTATE connection failures are; bugs and statement errors are not", () => {
    const yes = [
      withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED", { syscall: "connect" }),
      withCode("getaddrinfo ENOTFOUND db.invalid", "ENOTFOUND", { syscall: "getaddrinfo" }),
      withCode("read ECONNRESET", "ECONNRESET", { syscall: "read" }),
      withCode("connect ETIMEDOUT", "ETIMEDOUT"),
      withCode("password authentication failed", "28P01"),
      withCode('database "x" does not exist', "3D000"),
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("the database system is starting up", "57P03"),
      withCode("connection failure", "08006"),
      withCode("sorry, too many clients already", "53300"),
      new Error("Connection terminated unexpectedly"),
      new Error("Connection terminated due to connection timeout"),
      new Error("timeout exceeded when trying to connect"),
    ];
    const no = [
      new TypeError("runIds is not iterable"),
      new Error("cannot connect the dots"), // a message that merely mentions connecting
      new Error("request timeout in my own code"),
      withCode('duplicate key value violates unique constraint "runs_pkey"', "23505"),
      withCode('syntax error at or near "SELEC"', "42601"),
      withCode("canceling statement due to statement timeout", "57014"),
      "ECONNREFUSED",
      null,
    ];
    assert.deepEqual(yes.filter((e) => !isConnectionError(e)).map(String), []);
    assert.deepEqual(no.filter((e) => isConnectionError(e)).map(String), []);
  });

  it("a dropped session is a lost connection, worth a new one; an unreachable or refused database is not", () => {
    const lost = [
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("terminating connection because of crash of another server process", "57P02"),
      withCode("read ECONNRESET", "ECONNRESET", { syscall: "read" }),
      withCode("write EPIPE", "EPIPE", { syscall: "write" }),
      new Error("Connection terminated unexpectedly"),
    ];
    const notLost = [
      withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED", { syscall: "connect" }),
      withCode("getaddrinfo ENOTFOUND db.invalid", "ENOTFOUND", { syscall: "getaddrinfo" }),
      withCode("password authentication failed", "28P01"),
      withCode('database "x" does not exist', "3D000"),
      withCode("the database system is starting up", "57P03"),
      new Error("timeout exceeded when trying to connect"),
      withCode('syntax error at or near "SELEC"', "42601"),
      null,
    ];
    assert.deepEqual(lost.filter((e) => !isLostConnection(e)).map(String), []);
    assert.deepEqual(notLost.filter((e) => isLostConnection(e)).map(String), []);
  });

  it("an unreachable server is a StoreConnectionError naming the database (no password)", { timeout: 30_000 }, async () => {
    const store = postgresStore({ connectionString: "postgres://nobody:pw@127.0.0.1:1/none", connectTimeoutMs: 2000 });
    try {
      await assert.rejects(store.getRun({ id: "x" }), (e: unknown) => {
        assert.ok(e instanceof StoreConnectionError, String(e));
        assert.match(e.message, /^postgresStore: cannot use postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
        assert.ok(!e.message.includes(":pw@"));
        assert.equal((e.cause as { code?: string }).code, "ECONNREFUSED");
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it("on a working database, a bug and a failing statement pass through unchanged", { timeout: 60_000 }, async () => {
    const store = postgresStore({ connectionString: await freshDatabase("errand_guard"), schema: uniqueSchema("guard") });
    try {
      await store.migrate();
      await assert.rejects(store.heartbeat({ workerId: "w", runIds: 5 as never, leaseMs: 1000, now: 1 }), (e: unknown) => {
        assert.ok(e instanceof TypeError && !(e instanceof StoreConnectionError), String(e));
        assert.doesNotMatch(e.message, /cannot use/);
        return true;
      });
      await assert.rejects(store.prune({ finishedBefore: Number.NaN, now: 1 }), (e: unknown) => {
        assert.ok(!(e instanceof StoreConnectionError), String(e));
        assert.equal(typeof (e as { code?: unknown }).code, "string", "the driver's own error, with its SQLSTATE");
        return true;
      });
    } finally {
      await store.close();
    }
  });
});
