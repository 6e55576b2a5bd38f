/**
 * Import boundaries (docs/ARCHITECTURE.md): every .ts file under src/ is parsed with the TypeScript
 * parser and each module specifier it imports or re-exports (static, `import x = require`, dynamic
 * `import()`) is checked against the layer rules below.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface ImportRef {
  readonly specifier: string;
  /** Erased at run time (`import type`, `export type`); `import { type A }` is not (it stays as an import). */
  readonly typeOnly: boolean;
  readonly line: number;
}

/** Every module specifier a source text imports or re-exports. */
function importsOf(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) return;
    out.push({ specifier: spec.text, typeOnly, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The repo-relative path (posix) a relative specifier points to, or null for a bare/node: one. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  return relative(root, resolve(dirname(file), specifier)).split(sep).join("/");
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

type Rule = (from: string, ref: ImportRef, to: string | null) => string | null;

/** src/core imports nothing but node:* and itself. */
const coreRule: Rule = (from, ref, to) => {
  if (!under(from, "src/core")) return null;
  if (ref.specifier.startsWith("node:")) return null;
  if (to !== null && under(to, "src/core")) return null;
  return "src/core may import only node:* and src/core";
};

/** src/engine imports no store implementation. */
const engineRule: Rule = (from, ref, to) => {
  if (!under(from, "src/engine")) return null;
  const impl = ["src/sqlite", "src/postgres"].find((d) => to !== null && under(to, d));
  if (impl !== undefined || /^errand\/(sqlite|postgres)(\/|$)/.test(ref.specifier)) {
    return "src/engine may not import a store implementation (src/sqlite, src/postgres)";
  }
  return null;
};

/** src/store imports no engine/durable runtime code (type-only imports are fine). */
const storeRule: Rule = (from, ref, to) => {
  if (!under(from, "src/store") || ref.typeOnly) return null;
  if (to !== null && (under(to, "src/engine") || under(to, "src/durable"))) {
    return "src/store may import src/engine or src/durable only with `import type`";
  }
  if (ref.specifier === "errand") return "src/store may not import the errand entry (engine runtime)";
  return null;
};

const rules = [coreRule, engineRule, storeRule];

function violations(files: { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    const from = relative(root, path).split(sep).join("/");
    for (const ref of importsOf(path, text)) {
      const to = target(path, ref.specifier);
      for (const rule of rules) {
        const why = rule(from, ref, to);
        if (why !== null) found.push(`${from}:${ref.line} imports "${ref.specifier}": ${why}`);
      }
    }
  }
  return found;
}

describe("import boundaries", () => {
  it("the parser finds every kind of import and tells type-only ones apart", () => {
    const refs = importsOf("x.ts", [
      'import a from "a";',
      'import type { B } from "b";',
      'import { type C } from "c";',
      'export { d } from "d";',
      'export type { E } from "e";',
      'export * from "f";',
      'import "g";',
      'import h = require("h");',
      "const i = await import(\"i\");",
      'let j: import("j").J;',
      "import {",
      "  k,",
      '} from "k";',
    ].join("\n"));
    assert.deepEqual(
      refs.map((r) => `${r.specifier}:${r.typeOnly ? "type" : "value"}`),
      ["a:value", "b:type", "c:value", "d:value", "e:type", "f:value", "g:value", "h:value", "i:value", "j:type", "k:value"],
    );
    assert.equal(refs.at(-1)?.line, 11);
  });

  it("the rules catch violations (checked on synthetic files)", () => {
    const at = (p: string, text: string) => ({ path: join(root, p), text });
    const found = violations([
      at("src/core/x.ts", 'import { a } from "../store/json.ts";\nimport fs from "fs";\nimport { ok } from "./task.ts";\nimport { b } from "node:fs";'),
      at("src/core/y.ts", 'const z = import("zod");'),
      at("src/engine/x.ts", 'import { sqliteStore } from "../sqlite/index.ts";\nimport type { S } from "../postgres/store.ts";\nimport type { Store } from "../store/types.ts";'),
      at("src/store/x.ts", 'import type { Engine } from "../engine/types.ts";\nimport { createEngine } from "../engine/index.ts";\nexport { x } from "../durable/run.ts";'),
    ]);
    assert.deepEqual(found.map((f) => f.slice(0, f.indexOf(" "))), [
      "src/core/x.ts:1", "src/core/x.ts:2", "src/core/y.ts:1",
      "src/engine/x.ts:1", "src/engine/x.ts:2",
      "src/store/x.ts:2", "src/store/x.ts:3",
    ]);
  });

  it("every .ts file under src/ keeps to the rules", () => {
    const files = tsFiles(join(root, "src")).map((path) => ({ path, text: readFileSync(path, "utf8") }));
    const coreFiles = files.filter((f) => under(relative(root, f.path).split(sep).join("/"), "src/core"));
    assert.ok(coreFiles.length >= 5, `expected the core files, found ${coreFiles.length}`);
    assert.deepEqual(violations(files), []);
  });
});
