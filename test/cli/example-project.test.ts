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
    assert.deepEqual((JSON.parse(tasks.stdout) as { id: string }[]).map((t) => t.id), ["greet", "import-rows", "always-fails", "heartbeat"]);
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
      runs.filter((r) => r.taskId !== "heartbeat").map((r) => [r.taskId, r.status]),
      [
        ["import-rows", "completed"],
        ["always-fails", "failed"],
        ["greet", "completed"],
      ],
    );
  });
});
