/** Issue 6, acceptance 1–2: `errand run`, `tasks`, `runs`, helpful errors — the bin spawned in a temp project. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProject, errand } from "./project.ts";

const CONFIG = `
import { defineTask, NonRetriableError } from "errand";
import { sqliteStore } from "errand/sqlite";

const add = defineTask({
  id: "add",
  title: "Add numbers",
  description: "Adds a and b",
  run: async (p: { a: number; b: number }, ctx) => {
    ctx.log.info("adding", { a: p.a, b: p.b });
    const sum = await ctx.step("sum", () => p.a + p.b);
    return { sum };
  },
});

const boom = defineTask({
  id: "boom",
  run: async () => {
    throw new NonRetriableError("kaboom: the widget is missing");
  },
});

export default { store: sqliteStore({ path: "errand.db" }), tasks: [add, boom] };
`;

describe("errand run / tasks / runs", () => {
  const project = createProject(CONFIG);

  it("run prints the output JSON and exits 0; logs go to stderr", { timeout: 60_000 }, async () => {
    const r = await errand(project, ["run", "add", "--payload", '{"a": 2, "b": 40}']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { sum: 42 });
    assert.match(r.stderr, /INFO\s+adding \{"a":2,"b":40\}/);
  });

  it("run takes --key value pairs (JSON values as JSON)", { timeout: 60_000 }, async () => {
    const r = await errand(project, ["run", "add", "--a", "5", "--b=6"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { sum: 11 });
  });

  it("run of a failing task exits 1 with the error message", { timeout: 60_000 }, async () => {
    const r = await errand(project, ["run", "boom"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NonRetriableError: kaboom: the widget is missing/);
    assert.equal(r.stdout, "");
  });

  it("unknown task: exit 1, lists the known ids", { timeout: 60_000 }, async () => {
    const r = await errand(project, ["run", "ad"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown task "ad"\. Known tasks: add, boom/);
  });

  it("bad JSON: exit 1, names the position", { timeout: 60_000 }, async () => {
    const r = await errand(project, ["run", "add", "--payload", '{"a": 1, b: 2}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--payload is not valid JSON/);
    assert.match(r.stderr, /position 9/);
  });

  it("tasks --json lists ids, titles, descriptions; runs --json and runs show list what ran", { timeout: 60_000 }, async () => {
    const tasks = await errand(project, ["tasks", "--json"]);
    assert.equal(tasks.code, 0, tasks.stderr);
    const list = JSON.parse(tasks.stdout) as { id: string; title: string | null; description: string | null }[];
    assert.deepEqual(
      list.map((t) => [t.id, t.title, t.description]),
      [
        ["add", "Add numbers", "Adds a and b"],
        ["boom", null, null],
      ],
    );
    await errand(project, ["run", "add", "--a", "1", "--b", "1"]);
    const runs = await errand(project, ["runs", "--task", "add", "--status", "completed", "--limit", "1", "--json"]);
    assert.equal(runs.code, 0, runs.stderr);
    const [run] = JSON.parse(runs.stdout) as { id: string; taskId: string; status: string; output: unknown }[];
    assert.equal(run!.taskId, "add");
    assert.deepEqual(run!.output, { sum: 2 });
    const show = await errand(project, ["runs", "show", run!.id]);
    assert.equal(show.code, 0, show.stderr);
    assert.doesNotMatch(show.stdout + show.stderr, /\x1b\[/, "no colours when stdout is not a terminal");
    assert.match(show.stdout, /status\s+completed/);
    assert.match(show.stdout, /sum\s+step\s+completed/);
    const failed = await errand(project, ["runs", "--status", "failed", "--json"]);
    assert.ok((JSON.parse(failed.stdout) as { taskId: string }[]).every((r) => r.taskId === "boom"));
  });

  it("trigger (idempotency key), runs cancel, runs replay, prune", { timeout: 60_000 }, async () => {
    const first = await errand(project, ["trigger", "add", "--a", "1", "--b", "2", "--idempotency-key", "k1", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const h1 = JSON.parse(first.stdout) as { id: string; created: boolean };
    assert.equal(h1.created, true);
    const opts = await errand(project, ["trigger", "add", "--a", "1", "--b", "2", "--priority", "5", "--tags", "x,y", "--max-attempts", "7", "--concurrency-key", "t1", "--json"]);
    const hOpts = JSON.parse(opts.stdout) as { id: string };
    const stored = JSON.parse((await errand(project, ["runs", "show", hOpts.id, "--json"])).stdout) as { run: Record<string, unknown> };
    assert.deepEqual([stored.run["priority"], stored.run["tags"], stored.run["maxAttempts"], stored.run["concurrencyKey"], stored.run["payload"]], [5, ["x", "y"], 7, "t1", { a: 1, b: 2 }]);
    const badOpt = await errand(project, ["trigger", "add", "--max-attempts", "0"]);
    assert.equal(badOpt.code, 1);
    assert.match(badOpt.stderr, /--max-attempts must be an integer >= 1/);
    const second = await errand(project, ["trigger", "add", "--payload", '{"a":1,"b":2}', "--idempotency-key", "k1", "--json"]);
    const h2 = JSON.parse(second.stdout) as { id: string; created: boolean };
    assert.deepEqual([h2.id, h2.created], [h1.id, false]);

    const cancel = await errand(project, ["runs", "cancel", h1.id.slice(0, 30)]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`canceled ${h1.id}`));
    const again = await errand(project, ["runs", "cancel", h1.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already canceled/);
    const replay = await errand(project, ["runs", "replay", h1.id, "--json"]);
    assert.equal(replay.code, 0, replay.stderr);
    const h3 = JSON.parse(replay.stdout) as { id: string };
    assert.notEqual(h3.id, h1.id);
    const shown = JSON.parse((await errand(project, ["runs", "show", h3.id, "--json"])).stdout) as { run: { status: string; payload: unknown } };
    assert.deepEqual([shown.run.status, shown.run.payload], ["queued", { a: 1, b: 2 }]);
    const missing = await errand(project, ["runs", "show", "no-such-run"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no run with id "no-such-run"/);

    const prune = await errand(project, ["prune", "--older-than", "0s", "--json"]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.ok((JSON.parse(prune.stdout) as { deleted: number }).deleted >= 1, "the canceled run is pruned");
    assert.equal((await errand(project, ["runs", "show", h1.id])).code, 1, "pruned runs are gone");
  });

  it("every command has --help; bad options fail with a non-zero code", { timeout: 60_000 }, async () => {
    for (const cmd of [["run"], ["trigger"], ["worker"], ["runs", "show"], ["prune"], ["dashboard"]]) {
      const r = await errand(project, [...cmd, "--help"]);
      assert.equal(r.code, 0, `${cmd.join(" ")} --help: ${r.stderr}`);
      assert.match(r.stdout, /Usage: errand/);
    }
    const bad = await errand(project, ["runs", "--status", "finished"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown status "finished"/);
    const prune = await errand(project, ["prune", "--older-than", "soon"]);
    assert.equal(prune.code, 1);
    assert.match(prune.stderr, /--older-than must be a duration/);
  });

  it("an unreachable database is one clear error", { timeout: 60_000 }, async () => {
    const broken = createProject(`
      import { sqliteStore } from "errand/sqlite";
      export const store = () => sqliteStore({ path: "/nonexistent-dir/sub/errand.db" });
      export const tasks = [];
    `);
    const r = await errand(broken, ["runs"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /errand: cannot open the store .*\/nonexistent-dir\/sub\/errand\.db/);
  });

  it("an unreachable PostgreSQL server is one clear error naming the store", { timeout: 60_000 }, async () => {
    const broken = createProject(`
      import { postgresStore } from "errand/postgres";
      export const store = postgresStore({ connectionString: "postgres://errand:x@127.0.0.1:9/errand", connectTimeoutMs: 2000 });
      export const tasks = [];
    `);
    const r = await errand(broken, ["runs"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /errand: cannot reach the database \(postgres[^)]*127\.0\.0\.1:9/);
  });

  it("no config: tells how to write one", { timeout: 60_000 }, async () => {
    const empty = createProject("export {};\n");
    const r = await errand(empty, ["--config", "missing.ts", "tasks"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config file not found/);
    const r2 = await errand(empty, ["tasks"]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /exports no `store` and no `tasks` \(it has no default export, no named exports\)/);
  });
});
