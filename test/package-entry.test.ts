/**
 * The `errand` package entry: self-reference from a file in the repo (package.json `exports`), and a
 * scratch project in a temp dir that installs the repo by path (`npm install --offline <repo>`: npm
 * only makes a symlink, no registry access) and runs a .ts script with the repo's tsx.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
// Self-reference: resolved through this repo's package.json "exports", not a relative path.
import { createContext, task, TaskCycleError } from "errand";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

describe("package entry", () => {
  const temps: string[] = [];
  after(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it('`import { task, createContext } from "errand"` works from a file in the repo', async () => {
    const double = task(async (_ctx, n: number) => n * 2);
    assert.equal(await double.run(createContext(), 21), 42);
    assert.equal(typeof TaskCycleError, "function");
    assert.equal(fileURLToPath(import.meta.resolve("errand")), join(root, "src", "index.ts"));
  });

  it("package.json reserves the subpath entries errand, errand/sqlite, errand/postgres, errand/dashboard", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; type: string; exports: Record<string, string> };
    assert.equal(pkg.name, "errand");
    assert.equal(pkg.type, "module");
    for (const sub of [".", "./sqlite", "./postgres", "./dashboard"]) {
      assert.equal(typeof pkg.exports[sub], "string", `exports["${sub}"]`);
    }
  });

  it("works from a scratch project that installs the repo by path", () => {
    const dir = mkdtempSync(join(tmpdir(), "errand-entry-"));
    temps.push(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", "--ignore-scripts", root], {
      cwd: dir,
      stdio: "pipe",
      timeout: 60_000,
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    const link = join(dir, "node_modules", "errand");
    assert.ok(lstatSync(link).isSymbolicLink(), "npm linked the repo");
    assert.equal(realpathSync(link), realpathSync(root));
    writeFileSync(
      join(dir, "main.ts"),
      [
        'import { task, createContext, type Context } from "errand";',
        "let calls = 0;",
        "const greet = task(async (_ctx: Context, name: string) => `hello ${name} #${++calls}`);",
        "const ctx = createContext();",
        'const [a, b] = await ctx.all([greet.bind("x"), greet.bind("x")]);',
        "console.log(JSON.stringify({ a, b, calls }));",
      ].join("\n"),
    );
    const tsx = import.meta.resolve("tsx");
    const r = spawnSync(process.execPath, ["--import", tsx, "main.ts"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { a: "hello x #1", b: "hello x #1", calls: 1 });
  });
});
