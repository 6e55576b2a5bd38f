/** Issue 6, acceptance 5: the commands of examples/project/README.md work as written. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDb } from "../support/temp.ts";

const PROJECT = fileURLToPath(new URL("../../examples/project/", import.meta.url));
const BIN = join(PROJECT, "..", "..", "bin", "errand.js");

function errand(args: readonly string[], db: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT, env: { ...process.env, NO_COLOR: "1", ERRAND_DB: db }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("examples/project", () => {
  it("tasks, run greet, run always-fails, runs --json", { timeout: 60_000 }, async () => {
    const db = tempDb();
    const tasks = await errand(["tasks", "--json"], db);
    assert.equal(tasks.code, 0, tasks.stderr);
    assert.deepEqual((JSON.parse(tasks.stdout) as { id: string }[]).map((t) => t.id), ["greet", "import-rows", "always-fails", "heartbeat", "refund"]);
    const greet = await errand(["run", "greet", "--name", "Ada"], db);
    assert.equal(greet.code, 0, greet.stderr);
    assert.deepEqual(JSON.parse(greet.stdout), { greeting: "Hello, Ada!" });
    assert.match(greet.stderr, /INFO\s+greeting \{"name":"Ada"\}/);
    const fails = await errand(["run", "always-fails"], db);
    assert.equal(fails.code, 1);
    assert.match(fails.stderr, /NonRetriableError: the upstream API said no/);
    const rows = await errand(["run", "import-rows", "--rows", "3", "--delayMs", "10"], db);
    assert.deepEqual(JSON.parse(rows.stdout), { imported: 3, checksum: 6 });
    const runs = JSON.parse((await errand(["runs", "--json"], db)).stdout) as { taskId: string; status: string }[];
    assert.deepEqual(
      runs.filter((r) => r.taskId !== "heartbeat" && r.taskId !== "refund").map((r) => [r.taskId, r.status]),
      [
        ["import-rows", "completed"],
        ["always-fails", "failed"],
        ["greet", "completed"],
      ],
    );
  });

  it("an event starts refund; runs show gives its token; tokens complete resumes it once", { timeout: 120_000 }, async () => {
    const db = tempDb();
    const worker = spawn(process.execPath, [BIN, "worker", "--concurrency", "2"], { cwd: PROJECT, env: { ...process.env, NO_COLOR: "1", ERRAND_DB: db }, stdio: ["ignore", "pipe", "pipe"] });
    let workerOut = "";
    worker.stdout.on("data", (d: Buffer) => (workerOut += d.toString()));
    worker.stderr.on("data", (d: Buffer) => (workerOut += d.toString()));
    try {
      const sent = await errand(["events", "send", "refund.requested", "--refundId", "r-7", "--amount", "120"], db);
      assert.equal(sent.code, 0, sent.stderr);
      const runId = /started 1 run \(refund ([0-9a-f-]+)\)/.exec(sent.stdout)?.[1];
      assert.ok(runId, sent.stdout);
      type Detail = { run: { status: string; event: { name: string } }; tokens: { id: string; status: string }[] };
      let detail = null as Detail | null;
      for (let i = 0; i < 60 && detail?.run.status !== "waiting"; i++) {
        detail = JSON.parse((await errand(["runs", "show", runId, "--json"], db)).stdout) as Detail;
        if (detail?.run.status !== "waiting") await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(detail?.run.status, "waiting", workerOut);
      assert.equal(detail!.run.event.name, "refund.requested");
      const text = await errand(["runs", "show", runId.slice(0, 18)], db);
      assert.match(text.stdout, /waitpoint tokens/);
      const tokenId = detail!.tokens[0]!.id;
      const done = await errand(["tokens", "complete", tokenId, "--approved", "true", "--by", "ana"], db);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /completed token "approval" of run .*: it resumes/);
      const again = await errand(["tokens", "complete", tokenId, "--approved", "false"], db);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /token not completed: it was completed already \(the first completion counts\)/);
      let output: unknown = null;
      for (let i = 0; i < 60 && output === null; i++) {
        const run = (JSON.parse((await errand(["runs", "show", runId, "--json"], db)).stdout) as { run: { status: string; output: unknown } }).run;
        if (run.status === "completed") output = run.output;
        else await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(output, { refundId: "r-7", refunded: true, by: "ana" });
    } finally {
      worker.kill("SIGTERM");
      await new Promise((r) => worker.on("close", r));
    }
  });
});
