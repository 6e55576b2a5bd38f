/**
 * The package's entry points as package.json declares them. Inside the repository `import "errand"`
 * resolves through the package's own "exports" with the "errand-source" condition (set by
 * scripts/run-tests.mjs) to src/; a user's `import "errand"` gets dist/ (test/packaging checks that
 * on the packed tarball).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
// Self-reference: resolved through this repo's package.json "exports", not a relative path.
import { createContext, task, TaskCycleError } from "errand";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Manifest {
  name: string;
  type: string;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;

describe("package entry", () => {
  it('`import { task, createContext } from "errand"` works from a file in the repo, from source', async () => {
    const double = task(async (_ctx, n: number) => n * 2);
    assert.equal(await double.run(createContext(), 21), 42);
    assert.equal(typeof TaskCycleError, "function");
    assert.equal(fileURLToPath(import.meta.resolve("errand")), join(root, "src", "index.ts"));
    assert.equal(fileURLToPath(import.meta.resolve("errand/sqlite")), join(root, "src", "sqlite", "index.ts"));
  });

  it("every entry point has errand-source (src/), types and default (dist/) conditions, in that order", () => {
    assert.equal(pkg.name, "errand");
    assert.equal(pkg.type, "module");
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");
    for (const sub of [".", "./sqlite", "./postgres", "./dashboard"]) assert.ok(subpaths.includes(sub), `exports["${sub}"]`);
    for (const sub of subpaths) {
      const target = pkg.exports[sub] as Record<string, string>;
      const base = sub === "." ? "index" : `${sub.slice(2)}/index`;
      assert.deepEqual(Object.keys(target), ["errand-source", "types", "default"], `exports["${sub}"] conditions`);
      assert.deepEqual(target, { "errand-source": `./src/${base}.ts`, types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` }, `exports["${sub}"]`);
      assert.ok(existsSync(join(root, target["errand-source"]!)), `${target["errand-source"]} exists`);
    }
  });

  it("ships dist/, bin/, docs and the license; prepack builds; drivers and tsx are optional peers", () => {
    assert.deepEqual(pkg.files, ["dist", "bin", "docs", "README.md", "LICENSE"]);
    assert.equal(pkg.bin["errand"], "./bin/errand.js");
    assert.match(pkg.scripts["prepack"] ?? "", /npm run build/);
    assert.match(pkg.scripts["build"] ?? "", /tsc -p tsconfig\.build\.json/);
    for (const name of ["better-sqlite3", "pg", "tsx"]) {
      assert.equal(pkg.dependencies[name], undefined, `${name} is not a dependency`);
      assert.equal(typeof pkg.peerDependencies[name], "string", `${name} is a peer dependency`);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is optional`);
      assert.equal(typeof pkg.devDependencies[name], "string", `${name} is installed for our own tests`);
    }
  });
});
