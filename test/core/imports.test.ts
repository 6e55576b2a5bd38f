/**
 * src/core has no import circle, counting type-only imports too (a type-only circle still ties two
 * files' designs together). Files are parsed with the TypeScript parser.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../src/core");

/** The files of src/core each file imports or re-exports (relative specifiers only). */
function coreGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const name of readdirSync(coreDir).filter((f) => f.endsWith(".ts")).sort()) {
    const sf = ts.createSourceFile(name, readFileSync(join(coreDir, name), "utf8"), ts.ScriptTarget.Latest, true);
    const deps: string[] = [];
    const visit = (node: ts.Node): void => {
      let spec: ts.Expression | undefined;
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) spec = node.moduleSpecifier;
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) spec = node.arguments[0];
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) spec = node.argument.literal;
      if (spec !== undefined && ts.isStringLiteralLike(spec) && spec.text.startsWith("./")) deps.push(spec.text.slice(2));
      ts.forEachChild(node, visit);
    };
    visit(sf);
    graph.set(name, deps);
  }
  return graph;
}

/** One import circle as a path `a.ts -> b.ts -> a.ts`, or null. */
function findCircle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const walk = (file: string, path: string[]): string[] | null => {
    if (state.get(file) === "open") return [...path.slice(path.indexOf(file)), file];
    if (state.get(file) === "done") return null;
    state.set(file, "open");
    for (const dep of graph.get(file) ?? []) {
      const found = walk(dep, [...path, file]);
      if (found !== null) return found;
    }
    state.set(file, "done");
    return null;
  };
  for (const file of graph.keys()) {
    const found = walk(file, []);
    if (found !== null) return found;
  }
  return null;
}

describe("src/core imports", () => {
  it("the circle finder finds a circle through a type-only import", () => {
    const graph = new Map([
      ["task.ts", ["context.ts"]],
      ["context.ts", ["cache.ts"]],
      ["cache.ts", ["task.ts"]],
      ["key.ts", []],
    ]);
    assert.deepEqual(findCircle(graph), ["task.ts", "context.ts", "cache.ts", "task.ts"]);
    graph.set("cache.ts", ["key.ts"]);
    assert.equal(findCircle(graph), null);
  });

  it("src/core has no import circle", () => {
    const graph = coreGraph();
    assert.ok(graph.size >= 5 && [...graph.values()].some((deps) => deps.length > 0), "parsed the core files");
    const circle = findCircle(graph);
    assert.equal(circle, null, `import circle: ${circle?.join(" -> ")}`);
  });

  it("types.ts, errors.ts and key.ts are leaves", () => {
    const graph = coreGraph();
    for (const leaf of ["types.ts", "errors.ts", "key.ts"]) assert.deepEqual(graph.get(leaf), [], leaf);
  });
});
