/**
 * A secret in a store's connection string never reaches a dashboard answer or the console: 500 pages,
 * 500 API answers and trigger errors, on the real PostgreSQL store (unreachable) and on a store that
 * echoes its URL in every error.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEngine } from "../../src/index.ts";
import { postgresStore } from "../../src/postgres/index.ts";
import { sqliteStore } from "../../src/sqlite/index.ts";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { freePort } from "../../bench/lib/pg-server.ts";
import type { Store } from "../../src/store/types.ts";
import type { Engine } from "../../src/engine/types.ts";
import { tempDb } from "../support/temp.ts";
import { greet } from "./fixture.ts";
import { get, postJson } from "./helpers.ts";

const SECRET = "S3cretValue";
const TOKEN = "secrets-test-token-0123";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

/** A store whose every query fails with a message quoting its URL (as some drivers do). */
function leakyStore(): Store {
  const inner = sqliteStore({ path: tempDb() });
  const url = `postgres://ada:${SECRET}@db.internal/app?password=${SECRET}&sslpassword=${SECRET}`;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "close" || prop === "name" || prop === "subscribe" || typeof value !== "function") return value;
      return async () => {
        throw new Error(`cannot reach ${url}: password=${SECRET} rejected`);
      };
    },
  });
}

/** Runs `fn` and returns what it printed through console.error/warn/log. */
async function consoleOf(fn: () => Promise<void>): Promise<string> {
  const printed: string[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log };
  const capture = (...args: unknown[]) => void printed.push(args.map((a) => (typeof a === "string" ? a : require_inspect(a))).join(" "));
  console.error = capture;
  console.warn = capture;
  console.log = capture;
  try {
    await fn();
  } finally {
    Object.assign(console, saved);
  }
  return printed.join("\n");
}

import { inspect } from "node:util";
const require_inspect = (v: unknown) => inspect(v, { depth: 20 });

for (const kind of ["postgres (unreachable)", "a store that echoes its URL"] as const) {
  describe(`dashboard: secrets of ${kind}`, () => {
    let engine: Engine;
    let d: Dashboard;
    before(async () => {
      const store = kind === "a store that echoes its URL"
        ? leakyStore()
        : postgresStore({ connectionString: `postgres://ada:${SECRET}0@127.0.0.1:${await freePort()}/app?password=${SECRET}&sslpassword=${SECRET}2`, connectTimeoutMs: 2000 });
      engine = createEngine({ store, tasks: [greet] });
      d = createDashboard({ engine, auth: { token: TOKEN } });
    });
    after(async () => {
      await engine.close().catch(() => {});
    });

    it("500 pages, 500 API answers, trigger errors and the console carry no secret", { timeout: 60_000 }, async () => {
      const answers: { what: string; status: number; body: string }[] = [];
      const printed = await consoleOf(async () => {
        for (const path of ["/runs", "/", "/api/runs", "/api/stats", `/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV`]) {
          const res = await get(d, path, AUTH);
          answers.push({ what: `GET ${path}`, status: res.status, body: await res.text() });
        }
        const trig = await postJson(d, "/api/tasks/greet/trigger", { payload: { name: "x" } }, AUTH);
        answers.push({ what: "POST trigger", status: trig.status, body: await trig.text() });
      });
      for (const a of answers) {
        assert.ok(a.status >= 400, `${a.what} should fail, got ${a.status}`);
        assert.ok(!a.body.includes(SECRET), `${a.what} (${a.status}) leaked: ${a.body}`);
      }
      assert.ok(answers.some((a) => a.status === 500), "some answers are 500s");
      assert.ok(printed.length > 0, "the failures were logged");
      assert.ok(!printed.includes(SECRET), `the console leaked:\n${printed}`);
    });
  });
}
