/**
 * Issue 13, finding 18: every way an `errand.config.*` can be wrong gives one short message naming
 * the file and the problem, a non-zero exit code and no stack (unless --verbose), and never a secret
 * of a connection string — in an ESM project and in a CommonJS one.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createProject, errand, type Project, type Result } from "./project.ts";

const SECRET = "Pa55wordInUrl";
const TASK_ESM = `import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";
const t = defineTask({ id: "t", run: async () => 1 });
`;
// In this repository `require("errand")` would load the TypeScript source, which plain CommonJS cannot
// (an installed package is compiled: test/packaging covers that); these configs need no import.
const TASK_CJS = `const t = { id: "t" };
const sqliteStore = (options) => ({ options });
`;
const STORE = `sqliteStore({ path: "errand.db" })`;

interface Case {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** The problem, as the message must say it. */
  readonly says: RegExp;
  readonly args?: readonly string[];
}

/** An ESM ("type": "module") or CommonJS project with one config file; no other errand.config.* in it. */
function project(type: "module" | "commonjs", file: string, text: string): Project {
  const p = createProject("");
  rmSync(join(p.dir, "errand.config.ts"));
  p.write("package.json", JSON.stringify({ name: "bad-config", private: true, ...(type === "module" ? { type } : {}) }));
  p.write(file, text);
  return p;
}

/** The rules every bad-config answer follows. */
function assertShortAnswer(r: Result, c: Case, where: string): void {
  const all = r.stdout + r.stderr;
  assert.notEqual(r.code, 0, `${where}: exit code`);
  assert.equal(r.stdout, "", `${where}: nothing on stdout`);
  assert.match(r.stderr, c.says, `${where}: the problem\n${r.stderr}`);
  assert.ok(r.stderr.includes(c.file), `${where}: names the file\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${where}: no stack\n${r.stderr}`);
  assert.ok(r.stderr.trim().split("\n").length <= 2, `${where}: short\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Cannot read properties|undefined is not|\[object Object\]/, `${where}: no raw JavaScript error\n${r.stderr}`);
  assert.ok(!all.includes(SECRET), `${where}: leaked a secret\n${r.stderr}`);
}

const ESM_CASES: readonly Case[] = [
  { name: "a syntax error (.ts)", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [t] \n`, says: /syntax error at line 5/ },
  { name: "a syntax error (.mjs)", file: "errand.config.mjs", text: `${TASK_ESM}export default { store: , tasks: [t] };\n`, says: /syntax error at line 4: Unexpected token/ },
  { name: "an error thrown at import", file: "errand.config.ts", text: `${TASK_ESM}throw new Error("no such region");\n`, says: /cannot load .*: no such region \(thrown at line 4/ },
  { name: "a non-Error thrown at import", file: "errand.config.mjs", text: `throw 42;\n`, says: /cannot load .*: it threw 42 \(not an Error\)/ },
  { name: "an import that does not exist", file: "errand.config.ts", text: `import "./helpers.ts";\n${TASK_ESM}`, says: /cannot load .*Cannot find module .*helpers\.ts/ },
  { name: "no store and no tasks", file: "errand.config.ts", text: `${TASK_ESM}export const task = t;\n`, says: /exports no `store` and no `tasks` \(it has no default export, its named exports are task\)/ },
  { name: "a default export that is a number", file: "errand.config.ts", text: `export default 42;\n`, says: /exports no `store` and no `tasks` \(its default export is a number/ },
  { name: "tasks as an object", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: { t } };\n`, says: /`tasks` must be an array .*got an object with keys t/ },
  { name: "junk in tasks", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [t, undefined] };\n`, says: /tasks\[1\] is undefined, not a task made by defineTask\(\)/ },
  { name: "an object in tasks that is no task", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [{ id: "x" }] };\n`, says: /tasks\[0\] is not a durable task/ },
  { name: "no store", file: "errand.config.ts", text: `${TASK_ESM}export default { tasks: [t] };\n`, says: /`store` must be a store such as sqliteStore.*got undefined/ },
  { name: "a store that is no store", file: "errand.config.ts", text: `${TASK_ESM}export default { store: { path: "x.db" }, tasks: [t] };\n`, says: /`store` is an object with keys path, not a store/ },
  { name: "a store function returning a promise", file: "errand.config.ts", text: `${TASK_ESM}export default { store: async () => ${STORE}, tasks: [t] };\n`, says: /the function `store` returned a promise/ },
  { name: "a bad store option", file: "errand.config.ts", text: `${TASK_ESM}export default { store: sqliteStore({ path: "x.db", busyTimeoutMs: -1 }), tasks: [t] };\n`, says: /option `busyTimeoutMs` must be an integer >= 0, got -1/ },
  {
    name: "a bad PostgreSQL option next to a password",
    file: "errand.config.ts",
    text: `${TASK_ESM}import { postgresStore } from "errand/postgres";\nexport default { store: () => postgresStore({ connectionString: "postgres://ada:${SECRET}@127.0.0.1:1/app?password=${SECRET}", maxConnections: 0 }), tasks: [t] };\n`,
    says: /cannot open the store of .*option `maxConnections`/,
  },
  { name: "a bad dashboardUrl", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [t], dashboardUrl: 5 };\n`, says: /option `dashboardUrl`/ },
  {
    name: "a top-level await that never settles",
    file: "errand.config.ts",
    text: `${TASK_ESM}await new Promise(() => {});\nexport default { store: ${STORE}, tasks: [t] };\n`,
    says: /never finished loading: a top-level await/,
  },
  { name: "--config naming a missing file", file: "nope.config.ts", text: "", says: /config file not found: .*nope\.config\.ts/, args: ["--config", "nope.config.ts", "runs"] },
];

const CJS_CASES: readonly Case[] = [
  { name: "a syntax error (.js)", file: "errand.config.js", text: `${TASK_CJS}module.exports = { store: , tasks: [t] };\n`, says: /syntax error at line 3: Unexpected token/ },
  { name: "an error thrown at require", file: "errand.config.js", text: `${TASK_CJS}throw new TypeError("bad region");\n`, says: /cannot load .*: bad region \(thrown at line 3/ },
  { name: "module.exports = 42", file: "errand.config.js", text: `module.exports = 42;\n`, says: /exports no `store` and no `tasks` \(its default export is a number/ },
  { name: "junk in tasks (.js)", file: "errand.config.js", text: `${TASK_CJS}module.exports = { store: ${STORE}, tasks: [null] };\n`, says: /tasks\[0\] is null, not a task/ },
  { name: "a store that is no store (.js)", file: "errand.config.js", text: `${TASK_CJS}exports.store = "sqlite";\nexports.tasks = [];\n`, says: /`store` must be a store .*got a string/ },
  { name: "a syntax error (.ts)", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [t] \n`, says: /syntax error at line 5/ },
  { name: "junk in tasks (.ts)", file: "errand.config.ts", text: `${TASK_ESM}export default { store: ${STORE}, tasks: [t, undefined] };\n`, says: /tasks\[1\] is undefined/ },
  {
    name: "a top-level await that never settles (.ts)",
    file: "errand.config.ts",
    text: `${TASK_ESM}await new Promise(() => {});\nexport default { store: ${STORE}, tasks: [t] };\n`,
    says: /never finished loading/,
  },
];

async function check(type: "module" | "commonjs", c: Case): Promise<void> {
  const p = project(type, c.args === undefined ? c.file : "placeholder.txt", c.text);
  const r = await errand(p, c.args ?? ["runs"]);
  assertShortAnswer(r, c, `${type}: ${c.name}`);
}

describe("errand CLI: a bad config is one short, clear error", () => {
  it("in an ESM project", { timeout: 300_000 }, async () => {
    for (const c of ESM_CASES) await check("module", c);
  });

  it("in a CommonJS project", { timeout: 300_000 }, async () => {
    for (const c of CJS_CASES) await check("commonjs", c);
  });

  it("--verbose (or ERRAND_DEBUG) adds the stack, still without secrets", { timeout: 120_000 }, async () => {
    const c = ESM_CASES.find((x) => x.name.includes("PostgreSQL"))!;
    const p = project("module", c.file, c.text);
    for (const [args, env] of [[["--verbose", "runs"], {}], [["runs"], { ERRAND_DEBUG: "1" }]] as const) {
      const r = await errand(p, args, env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^\s+at /m, `a stack with ${args.join(" ")}\n${r.stderr}`);
      assert.ok(!r.stderr.includes(SECRET), r.stderr);
    }
  });

  it("--config naming a folder", { timeout: 60_000 }, async () => {
    const p = project("module", "errand.config.ts", `${TASK_ESM}export default { store: ${STORE}, tasks: [t] };\n`);
    mkdirSync(join(p.dir, "conf"));
    const r = await errand(p, ["--config", "conf", "runs"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--config conf: .*conf is a folder; give the config file itself/);
  });
});
