/** `errand runs` and `errand runs show` for held-back runs: waiting for a worker that knows the task, and rate limited until when. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createEngine, defineTask, type Engine } from "errand";
import { sqliteStore } from "errand/sqlite";
import { createProject, errand } from "./project.ts";

const CONFIG = `
import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";

const api = defineTask({ id: "call-api", queue: { name: "api", rateLimit: { limit: 1, period: { hours: 1 } } }, run: async () => "ok" });

export default { store: sqliteStore({ path: "errand.db" }), tasks: [api] };
`;

describe("errand runs: held-back runs", () => {
  const project = createProject(CONFIG);
  let engine: Engine | null = null;
  after(async () => engine?.close());

  it("shows a run of a task the app does not register as waiting for a worker that knows it, and a rate-limited run with its next start", { timeout: 60_000 }, async () => {
    // Another app on the same database: a task this project does not register, and the project's own rate-limited task.
    const other = defineTask({ id: "other-app.job", run: () => null });
    const api = defineTask({ id: "call-api", queue: { name: "api", rateLimit: { limit: 1, period: { hours: 1 } } }, run: async () => "ok" });
    engine = createEngine({ store: sqliteStore({ path: project.db }), tasks: [other, api] });
    const foreign = await engine.trigger(other, undefined);
    const [first, second] = await engine.batchTrigger(api, [undefined, undefined]);
    const worker = engine.worker({ tasks: [api], pollIntervalMs: 20 });
    await worker.start();
    await engine.runs.wait(first!, { timeoutMs: 20_000 });
    await worker.stop();
    const held = (await engine.runs.get(second!.id))!;
    assert.ok(held.rateLimitedUntil !== null, "the second run was held back by the rate limit");

    const list = await errand(project, ["runs"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${foreign.id}.*queued \\(waiting for a worker that knows the task\\)`));
    assert.match(list.stdout, new RegExp(`${second!.id}.*queued \\(rate limited until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\)`));

    const showForeign = await errand(project, ["runs", "show", foreign.id]);
    assert.equal(showForeign.code, 0, showForeign.stderr);
    assert.match(showForeign.stdout, /waiting +waiting for a worker that knows task "other-app\.job"/);
    const showHeld = await errand(project, ["runs", "show", second!.id]);
    assert.match(showHeld.stdout, /waiting +rate limited \(queue "api"\); may start at \d{4}-/);
    const badTasks = await errand(project, ["worker", "--tasks", "call-api,nope"]);
    assert.notEqual(badTasks.code, 0);
    assert.match(badTasks.stderr, /--tasks: "nope" not registered in the config/);
    const json = JSON.parse((await errand(project, ["runs", "show", second!.id, "--json"])).stdout) as { run?: { rateLimitedUntil: string | null } };
    assert.equal(new Date((json.run ?? (json as { rateLimitedUntil: string })).rateLimitedUntil!).getTime(), held.rateLimitedUntil!.getTime());
  });
});
