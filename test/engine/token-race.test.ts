/**
 * Issue 15: processes racing to complete the same waitpoint tokens, on one SQLite file and on one
 * PostgreSQL database. For every token exactly one process is told it completed it, every other is
 * told it was completed already, and the waiting run resumes with the winner's data.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine, defineTask, type Engine } from "errand";
import { postgresStore } from "errand/postgres";
import { sqliteStore } from "errand/sqlite";
import { dropSchema, freshDatabase, stopTestPgServer, uniqueSchema } from "../support/pg.ts";
import { tempDb, until } from "../support/temp.ts";

const COMPLETER = fileURLToPath(new URL("./fixtures/complete-tokens.ts", import.meta.url));
const PROCESSES = 3;
const RUNS = 12;

after(async () => {
  await stopTestPgServer();
});

const approval = defineTask({
  id: "approval",
  run: async (_: void, ctx) => ctx.waitForToken(await ctx.createToken("approve")),
});

type Outcome = { id: string; completed: boolean; reason?: string };

function completer(where: string, schema: string, startAt: number, label: string, ids: readonly string[]): Promise<Outcome[]> {
  const child = spawn(process.execPath, ["--import", "tsx", COMPLETER, where, schema, String(startAt), label, ids.join(",")], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as Outcome[]) : reject(new Error(`completer ${label} exited with ${code}`))));
  });
}

async function race(engine: Engine, where: string, schema: string): Promise<void> {
  await engine.worker({ pollIntervalMs: 20, concurrency: 4 }).start();
  const handles = await engine.batchTrigger(approval, Array.from({ length: RUNS }, () => undefined));
  await until(async () => (await engine.runs.list({ taskId: "approval", status: "waiting", limit: 100 })).runs.length === RUNS, "every run waits", 60_000);
  const tokenOf = new Map<string, string>();
  for (const h of handles) tokenOf.set((await engine.tokens.list({ runId: h.id }))[0]!.id, h.id);
  const ids = [...tokenOf.keys()];
  // Start together: each process opens its store first, then fires at the same wall-clock time.
  const startAt = Date.now() + 3000;
  const labels = Array.from({ length: PROCESSES }, (_, i) => `p${i}`);
  const outcomes = await Promise.all(labels.map((label) => completer(where, schema, startAt, label, ids)));
  for (const id of ids) {
    const per = outcomes.map((o) => o.find((x) => x.id === id)!);
    const winners = labels.filter((_, i) => per[i]!.completed);
    assert.equal(winners.length, 1, `token of run ${tokenOf.get(id)}: exactly one process completed it (${JSON.stringify(per)})`);
    assert.ok(per.every((x) => x.completed || x.reason === "alreadyCompleted"), "the others are told it was completed already");
    const result = await engine.runs.wait(tokenOf.get(id)!, { timeoutMs: 30_000 });
    assert.deepEqual(result.unwrap(), { ok: true, output: { by: winners[0] } }, "the run got the winner's data");
    assert.deepEqual((await engine.tokens.get(id))!.output, { by: winners[0] });
  }
}

describe("processes racing to complete the same tokens", () => {
  it("on one SQLite file", { timeout: 120_000 }, async () => {
    const db = tempDb();
    const engine = createEngine({ store: sqliteStore({ path: db }), tasks: [approval] });
    try {
      await race(engine, db, "-");
    } finally {
      await engine.close();
    }
  });

  it("on one PostgreSQL database", { timeout: 180_000 }, async () => {
    const url = await freshDatabase("errand_tokens");
    const schema = uniqueSchema("tokens");
    const engine = createEngine({ store: postgresStore({ connectionString: url, schema }), tasks: [approval] });
    try {
      await race(engine, url, schema);
    } finally {
      await engine.close();
      await dropSchema(url, schema);
    }
  });
});
