/** The dashboard shows held-back runs: waiting for a worker that knows the task, and rate limited with the next start. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask } from "../../src/index.ts";
import { sqliteStore } from "../../src/sqlite/index.ts";
import { createDashboard } from "../../src/dashboard/index.ts";
import { tempDb } from "../support/temp.ts";
import { get } from "./helpers.ts";

const TOKEN = "flow-control-test-token-0123456789";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

describe("dashboard: held-back runs", () => {
  const path = tempDb();
  const api = defineTask({ id: "call-api", queue: { name: "api", rateLimit: { limit: 1, period: { hours: 1 } } }, run: async () => "ok" });
  const other = defineTask({ id: "other-app.job", run: () => null });
  // This app registers only `call-api`; another app (with `other-app.job`) shares the database.
  const mine = createEngine({ store: sqliteStore({ path }), tasks: [api] });
  const theirs = createEngine({ store: sqliteStore({ path }), tasks: [other] });
  after(async () => {
    await mine.close();
    await theirs.close();
  });

  it("run page and runs list say why a pending run waits, and when a rate-limited one may start", async () => {
    const foreign = await theirs.trigger(other, undefined);
    const [first, second] = await mine.batchTrigger(api, [undefined, undefined]);
    const worker = mine.worker({ pollIntervalMs: 20 });
    await worker.start();
    await mine.runs.wait(first!, { timeoutMs: 20_000 });
    await worker.stop();
    const d = createDashboard({ engine: mine, auth: { token: TOKEN } });

    const foreignPage = await (await get(d, `/runs/${foreign.id}`, AUTH)).text();
    assert.match(foreignPage, /<dd class="held" data-held="worker">for a worker that knows task <span class="mono">other-app\.job<\/span>/);
    const heldPage = await (await get(d, `/runs/${second!.id}`, AUTH)).text();
    assert.match(heldPage, /<dt>Rate limited<\/dt><dd class="held" data-held="rate">by queue <span class="mono">api<\/span>; may start at /);
    const firstPage = await (await get(d, `/runs/${first!.id}`, AUTH)).text();
    assert.doesNotMatch(firstPage, /data-held=/, "a finished run is not held back");

    const list = await (await get(d, "/runs", AUTH)).text();
    assert.match(list, new RegExp(`data-run-id="${foreign.id}"[\\s\\S]*?data-held="worker">waiting for a worker that knows the task`));
    assert.match(list, new RegExp(`data-run-id="${second!.id}"[\\s\\S]*?data-held="rate">rate limited until `));
    const json = (await (await get(d, `/api/runs/${second!.id}`, AUTH)).json()) as { run?: { rateLimitedUntil: string | null } };
    assert.ok(JSON.stringify(json).includes("rateLimitedUntil"), "the JSON API carries rateLimitedUntil");
  });
});
