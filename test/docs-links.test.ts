/**
 * The documentation is self-contained: every relative link in README.md and docs/*.md points at a file
 * (and heading) in this repository, and nothing in the docs, sources or scripts refers to files
 * outside it (such as a design document next to the checkout, or a path on one machine).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function files(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, keep, out);
    else if (keep(name)) out.push(path);
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const line of markdown.split("\n")) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

/** Relative link targets in a markdown text, outside code blocks. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

const markdown = [join(root, "README.md"), ...files(join(root, "docs"), (n) => n.endsWith(".md")), ...files(join(root, "examples"), (n) => n.endsWith(".md"))];

describe("self-contained docs", () => {
  it("the slug and link parsers work", () => {
    assert.equal(slug("6. The package"), "6-the-package");
    assert.equal(slug("Workers: `engine.worker(options)`"), "workers-engineworkeroptions");
    assert.deepEqual(links("see [a](docs/a.md#x) and [b](https://x.y) ```\n[c](c.md)\n```"), ["docs/a.md#x"]);
  });

  it("every relative link in README.md and docs/ resolves to a file (and heading) in the repository", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      for (const link of links(readFileSync(file, "utf8"))) {
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? file : resolve(dirname(file), path);
        const where = `${relative(root, file)} -> ${link}`;
        if (!target.startsWith(root) || !existsSync(target)) broken.push(`${where}: no such file in the repository`);
        else if (anchor !== undefined && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(anchor)) {
          broken.push(`${where}: no such heading`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it("no doc, source file or script refers to a file outside the repository", () => {
    const texts = [
      ...markdown,
      ...files(join(root, "src"), (n) => n.endsWith(".ts")),
      ...files(join(root, "bin"), () => true),
      ...files(join(root, "scripts"), () => true),
      ...files(join(root, "bench"), (n) => n.endsWith(".ts")),
    ];
    const outside = /\.\.\/shared\b|\bDESIGN\.md\b|\/work\/(?:shared|main|wt)\b/;
    const found = texts.filter((f) => outside.test(readFileSync(f, "utf8"))).map((f) => relative(root, f).split(sep).join("/"));
    assert.deepEqual(found, []);
  });
});
