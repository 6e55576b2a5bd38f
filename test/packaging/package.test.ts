/**
 * The package as a user installs it: `npm pack`, then the tarball installed (offline, see scratch.ts)
 * into three fresh projects, all driven by plain `node` with no loader and no source condition:
 *
 * - esm:  `"type": "module"`, with better-sqlite3 and tsx;
 * - cjs:  npm's default package.json (CommonJS), with better-sqlite3 and tsx;
 * - bare: the tarball alone (no driver, no tsx), its package.json removed afterwards (a folder with
 *         no package.json anywhere above it).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { createScratch, folder, type Scratch } from "./scratch.ts";
import { packRepo, readJson, REPO, userEnv, type Packed } from "./pack.ts";
import { tempDir } from "../support/temp.ts";

const started = Date.now();
const ENTRIES = Object.keys(readJson<{ exports: Record<string, unknown> }>(join(REPO, "package.json")).exports)
  .filter((k) => k !== "./package.json")
  .map((k) => (k === "." ? "errand" : `errand/${k.slice(2)}`));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in `cwd` as a user would: no NODE_OPTIONS, no source condition. */
function run(cwd: string, command: string, args: readonly string[], timeout = 60_000): Run {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Run, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

const node = (cwd: string, ...args: string[]) => run(cwd, process.execPath, args);

/** The export names of every entry point, as plain node sees them in `cwd` (import or require). */
function exportNames(cwd: string, how: "import" | "require"): Record<string, string[]> {
  const load = how === "import" ? "await import(e)" : "require(e)";
  const script = `const out = {}; for (const e of ${JSON.stringify(ENTRIES)}) out[e] = Object.keys(${load}).filter((k) => k !== "module.exports" && k !== "__esModule").sort(); console.log(JSON.stringify(out));`;
  const r = how === "import" ? node(cwd, "--input-type=module", "-e", script) : node(cwd, "--input-type=commonjs", "-e", `(async () => { ${script} })()`);
  return JSON.parse(ok(r, `${how} of every entry point in ${cwd}`)) as Record<string, string[]>;
}

const CONFIG_TS = `import { defineTask } from "errand";
import { sqliteStore } from "errand/sqlite";

const greet = defineTask({
  id: "greet",
  title: "Greet someone",
  run: async (payload: { name: string }) => ({ greeting: \`Hello, \${payload.name}!\` }),
});

export default { store: () => sqliteStore({ path: "errand.db" }), tasks: [greet] };
`;
const CONFIG_ESM_JS = CONFIG_TS.replace("(payload: { name: string })", "(payload)");
const CONFIG_CJS_JS = `const { defineTask } = require("errand");
const { sqliteStore } = require("errand/sqlite");

const greet = defineTask({ id: "greet", title: "Greet someone", run: async (payload) => ({ greeting: \`Hello, \${payload.name}!\` }) });
module.exports = { store: () => sqliteStore({ path: "errand.db" }), tasks: [greet] };
`;

/** Writes one config per extension, each in its own folder of `scratch`; returns the folders. */
function writeConfigs(scratch: Scratch, js: string): Record<string, string> {
  const sources: Record<string, string> = { ts: CONFIG_TS, mts: CONFIG_TS, js, mjs: CONFIG_ESM_JS };
  const dirs: Record<string, string> = {};
  for (const [ext, text] of Object.entries(sources)) dirs[ext] = dirname(scratch.write(join(`config-${ext}`, `errand.config.${ext}`), text));
  return dirs;
}

/** `errand run greet` loads the config and runs its task on SQLite (and `errand tasks` lists it). */
function checkCli(dir: string, errand: readonly string[], label: string, commands: readonly ("tasks" | "run")[] = ["run"]): void {
  const [command, ...pre] = errand;
  if (commands.includes("tasks")) {
    const tasks = ok(run(dir, command!, [...pre, "tasks"]), `${label}: errand tasks`);
    assert.match(tasks, /^greet\s+Greet someone/m, `${label}: errand tasks`);
  }
  if (commands.includes("run")) {
    const out = ok(run(dir, command!, [...pre, "run", "greet", "--name", "Ada"]), `${label}: errand run greet`);
    assert.deepEqual(JSON.parse(out), { greeting: "Hello, Ada!" }, `${label}: errand run greet`);
  }
}

describe("the packed package (npm pack, installed into fresh projects)", { timeout: 900_000 }, () => {
  let packed: Packed;
  let esm: Scratch;
  let cjs: Scratch;
  let bare: Scratch;

  before(async () => {
    packed = packRepo();
    [esm, cjs, bare] = await Promise.all([
      createScratch(packed.tarball, { type: "module", with: ["better-sqlite3", "tsx"] }),
      createScratch(packed.tarball, { type: "commonjs", with: ["better-sqlite3", "tsx"] }),
      createScratch(packed.tarball, { type: "commonjs" }),
    ]);
    rmSync(join(bare.dir, "package.json"));
    rmSync(join(bare.dir, "package-lock.json"));
  });
  after(() => {
    process.stderr.write(`# packaging test: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it("ships dist/ (JavaScript, .d.ts, source maps), bin/, docs/, README.md, LICENSE and nothing else", (t) => {
    const top = new Set(packed.files.map((f) => f.split("/")[0]));
    assert.deepEqual([...top].sort(), ["LICENSE", "README.md", "bin", "dist", "docs", "package.json"]);
    for (const f of packed.files.filter((x) => x.startsWith("dist/"))) {
      assert.match(f, /\.(js|d\.ts|js\.map)$/, f);
      assert.doesNotMatch(f, /\.test\./, `${f}: tests are not shipped`);
    }
    for (const entry of ["dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/cli/main.js", "bin/errand.js"]) {
      assert.ok(packed.files.includes(entry), `${entry} is in the tarball`);
    }
    t.diagnostic(`tarball ${(packed.size / 1000).toFixed(1)} kB, unpacked ${(packed.unpackedSize / 1000).toFixed(1)} kB, ${packed.files.length} files`);
  });

  it("publint reports no problems", async () => {
    const { publint } = await import("publint");
    const { formatMessage } = await import("publint/utils");
    const bytes = readFileSync(packed.tarball);
    const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const { messages, pkg } = await publint({ pack: { tarball }, level: "suggestion", strict: true });
    assert.deepEqual(messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg) ?? ""}`), []);
  });

  it("arethetypeswrong reports no problems (ESM-only profile: node16 from ESM, bundler)", () => {
    const cli = join(REPO, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
    const r = node(REPO, cli, "--profile", "esm-only", "--format", "json", packed.tarball);
    ok(r, "attw");
    type Problem = { kind: string; entrypoint: string; resolutionKind: string };
    const { analysis } = JSON.parse(r.stdout) as {
      analysis: { problems: Problem[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }> };
    };
    const checked = ["node16-esm", "bundler"];
    assert.deepEqual(analysis.problems.filter((p) => checked.includes(p.resolutionKind)), []);
    // What the ESM-only profile leaves out: no `main` for node10, and `require` from CommonJS TypeScript.
    assert.deepEqual([...new Set(analysis.problems.map((p) => `${p.kind}:${p.resolutionKind}`))].sort(), ["CJSResolvesToESM:node16-cjs", "NoResolution:node10"]);
    for (const entry of ENTRIES) {
      const resolutions = analysis.entrypoints[entry === "errand" ? "." : `./${entry.slice("errand/".length)}`]!.resolutions;
      for (const kind of checked) assert.match(resolutions[kind]?.resolution?.fileName ?? "", /\/errand\/dist\/.+\.d\.ts$/, `${entry} (${kind})`);
    }
  });

  it("plain node imports every entry point: ESM project, CommonJS project (import and require), no driver installed", async () => {
    // The names each entry exports from source (this process resolves `errand` to src/).
    const expected: Record<string, string[]> = {};
    for (const e of ENTRIES) expected[e] = Object.keys((await import(e)) as object).sort();
    assert.ok(expected["errand"]!.includes("createEngine") && expected["errand/sqlite"]!.includes("sqliteStore"));
    assert.deepEqual(exportNames(esm.dir, "import"), expected, "esm: import");
    assert.deepEqual(exportNames(cjs.dir, "import"), expected, "cjs: import()");
    assert.deepEqual(exportNames(cjs.dir, "require"), expected, "cjs: require()");
    assert.deepEqual(exportNames(bare.dir, "import"), expected, "no driver, no package.json: import");
    assert.ok(!existsSync(join(bare.dir, "node_modules", "better-sqlite3")) && !existsSync(join(bare.dir, "node_modules", "pg")));
  });

  it("a store whose driver is missing is one MissingDriverError naming the package to install; a broken one says so", () => {
    const script = `
      const { sqliteStore, MissingDriverError } = await import("errand/sqlite");
      const { postgresStore, MissingDriverError: FromPostgres } = await import("errand/postgres");
      const out = [];
      for (const open of [() => sqliteStore({ path: "x.db" }), () => postgresStore({ connectionString: "postgres://app:s3cret@127.0.0.1/app" })]) {
        try { open(); out.push("opened"); } catch (e) { out.push({ isClass: e instanceof MissingDriverError && e instanceof FromPostgres, name: e.name, packageName: e.packageName, message: e.message }); }
      }
      console.log(JSON.stringify(out));`;
    const [sqlite, postgres] = JSON.parse(ok(node(bare.dir, "--input-type=module", "-e", script), "missing drivers")) as Record<string, unknown>[];
    assert.deepEqual(sqlite, {
      isClass: true,
      name: "MissingDriverError",
      packageName: "better-sqlite3",
      message: 'sqliteStore needs the "better-sqlite3" package, which is not installed: run `npm install better-sqlite3`',
    });
    assert.deepEqual(postgres, {
      isClass: true,
      name: "MissingDriverError",
      packageName: "pg",
      message: 'postgresStore needs the "pg" package, which is not installed: run `npm install pg`',
    });
    assert.ok(!existsSync(join(bare.dir, "x.db")), "nothing was created");

    // A driver that is there but cannot load (a broken install) is a different error, with its cause.
    bare.write("node_modules/pg/package.json", JSON.stringify({ name: "pg", version: "8.0.0", main: "index.js" }));
    bare.write("node_modules/pg/index.js", 'throw new Error("compiled for another Node.js");');
    try {
      const broken = node(bare.dir, "--input-type=module", "-e", `
        const { postgresStore, MissingDriverError } = await import("errand/postgres");
        try { postgresStore({ connectionString: "postgres://127.0.0.1/app" }); } catch (e) { console.log(JSON.stringify([e instanceof MissingDriverError, e.message, e.cause?.message])); }`);
      assert.deepEqual(JSON.parse(ok(broken, "broken driver")), [
        false,
        'postgresStore: the "pg" package is installed but failed to load: compiled for another Node.js',
        "compiled for another Node.js",
      ]);
    } finally {
      rmSync(join(bare.dir, "node_modules", "pg"), { recursive: true, force: true });
    }
  });

  it("the README quick start runs verbatim with plain node (an .mjs file) on SQLite", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Quick start")))?.[1];
    assert.ok(code, "README has a js code block under Quick start");
    esm.write("quick-start.mjs", code);
    const out = ok(node(esm.dir, "quick-start.mjs"), "node quick-start.mjs");
    assert.match(out, /ok: true/);
    assert.match(out, /sent: 'u1@example\.com'/);
  });

  it("a strict TypeScript consumer type-checks with zero errors (module NodeNext and bundler, skipLibCheck false)", () => {
    esm.write("consumer.ts", readFileSync(join(REPO, "test", "packaging", "fixtures", "consumer.ts"), "utf8"));
    // The consumer's own @types/node; nothing else from this repo (a .d.ts that needed @types/pg or
    // @types/better-sqlite3 would fail here).
    mkdirSync(join(esm.dir, "node_modules", "@types"), { recursive: true });
    symlinkSync(join(REPO, "node_modules", "@types", "node"), join(esm.dir, "node_modules", "@types", "node"), "dir");
    const strict = {
      target: "ES2022",
      lib: ["ES2023"],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      skipLibCheck: false,
      noEmit: true,
      types: ["node"],
    };
    const settings = {
      nodenext: { module: "NodeNext", moduleResolution: "NodeNext" },
      bundler: { module: "preserve", moduleResolution: "bundler" },
    };
    const tsc = join(REPO, "node_modules", "typescript", "lib", "tsc.js");
    for (const [name, resolution] of Object.entries(settings)) {
      esm.write(`tsconfig.${name}.json`, JSON.stringify({ compilerOptions: { ...strict, ...resolution }, files: ["consumer.ts"] }));
      const listed = ok(node(esm.dir, tsc, "-p", `tsconfig.${name}.json`, "--listFiles"), `tsc -p tsconfig.${name}.json`);
      assert.match(listed, /node_modules\/errand\/dist\/index\.d\.ts/, `${name}: the types come from dist/`);
    }
  });

  it("npx errand tasks and npx errand run work in the CommonJS project (errand.config.ts, .mts, .js, .mjs)", () => {
    const dirs = writeConfigs(cjs, CONFIG_CJS_JS);
    // npx itself once (it costs an npm start); the bin it runs for the other config kinds.
    checkCli(dirs["ts"]!, ["npx", "--offline", "errand"], "cjs .ts (npx)", ["tasks", "run"]);
    const bin = join(cjs.dir, "node_modules", ".bin", "errand");
    for (const ext of ["mts", "js", "mjs"]) checkCli(dirs[ext]!, [bin], `cjs .${ext}`);
  });

  it("the errand command loads errand.config.ts, .mts, .js and .mjs in the ESM project", () => {
    const bin = join(esm.dir, "node_modules", ".bin", "errand");
    for (const [ext, dir] of Object.entries(writeConfigs(esm, CONFIG_ESM_JS))) checkCli(dir, [bin], `esm .${ext}`);
  });

  it("the errand command loads errand.config.ts, .mts, .js and .mjs in a folder with no package.json", () => {
    // The cjs project's node_modules (errand, better-sqlite3, tsx) in a folder without package.json.
    const dir = tempDir("errand-no-package-json-");
    for (let d = dir; d !== dirname(d); d = dirname(d)) assert.ok(!existsSync(join(d, "package.json")), `no package.json in ${d}`);
    symlinkSync(join(cjs.dir, "node_modules"), join(dir, "node_modules"), "dir");
    const bin = join(dir, "node_modules", ".bin", "errand");
    const scratch = folder(dir);
    for (const [ext, d] of Object.entries(writeConfigs(scratch, CONFIG_ESM_JS))) checkCli(d, [bin], `no package.json .${ext}`);
    scratch.write("config-cjs/errand.config.js", CONFIG_CJS_JS);
    checkCli(join(dir, "config-cjs"), [bin], "no package.json, CommonJS .js");
  });

  it("without tsx, a TypeScript config is a clear error naming tsx; a .mjs config needs neither tsx nor a driver", () => {
    const bin = join(bare.dir, "node_modules", ".bin", "errand");
    bare.write("ts/errand.config.ts", CONFIG_TS);
    const r = run(join(bare.dir, "ts"), bin, ["tasks"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /errand\.config\.ts is TypeScript: install tsx to load it \(`npm install --save-dev tsx`\)/);
    bare.write("mjs/errand.config.mjs", CONFIG_ESM_JS);
    assert.match(ok(run(join(bare.dir, "mjs"), bin, ["tasks"]), "errand tasks without a driver"), /^greet\s+Greet someone/m);
    const runIt = run(join(bare.dir, "mjs"), bin, ["run", "greet", "--name", "Ada"]);
    assert.notEqual(runIt.status, 0);
    assert.match(runIt.stderr, /sqliteStore needs the "better-sqlite3" package, which is not installed: run `npm install better-sqlite3`/);
  });

  it("a bad config in the CommonJS project (require(\"errand\")) is one short line naming the file, with no stack", () => {
    const bin = join(cjs.dir, "node_modules", ".bin", "errand");
    const head = `const { defineTask } = require("errand");\nconst { sqliteStore } = require("errand/sqlite");\nconst t = defineTask({ id: "t", run: async () => 1 });\n`;
    const cases: [string, string, RegExp][] = [
      ["junk", `${head}module.exports = { store: sqliteStore({ path: "x.db" }), tasks: [t, undefined] };\n`, /tasks\[1\] is undefined, not a task made by defineTask\(\)/],
      ["throws", `${head}throw new Error("no such region");\n`, /cannot load .*errand\.config\.js: no such region \(thrown at line 4/],
      ["syntax", `${head}module.exports = { store: , tasks: [t] };\n`, /cannot load .*errand\.config\.js: syntax error at line 4/],
      ["option", `${head}module.exports = { store: sqliteStore({ path: "x.db", busyTimeoutMs: -1 }), tasks: [t] };\n`, /option `busyTimeoutMs` must be an integer >= 0/],
    ];
    for (const [name, text, says] of cases) {
      const dir = dirname(cjs.write(join(`bad-${name}`, "errand.config.js"), text));
      const r = run(dir, bin, ["runs"]);
      assert.equal(r.status, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, says, name);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${name}: no stack`);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${name}: one line\n${r.stderr}`);
    }
  });
});
