/** docs/flow-control.md: every example runs as written (each is a whole program that asserts what the text says). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { root, writeExample } from "../testing/doc-blocks.ts";

const doc = readFileSync(join(root, "docs", "flow-control.md"), "utf8");
const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

it("docs/flow-control.md has an example for routing, rate limits, debounce, the one-active-one-queued recipe and ctx.init", () => {
  assert.equal(blocks.length, 5);
  for (const [i, needle] of [[0, "tasks: [thumbnail]"], [1, "rateLimit"], [2, "debounce"], [3, "concurrencyKey: accountId, debounce"], [4, "ctx.init"]] as const) {
    assert.ok(blocks[i]!.includes(needle), `example ${i + 1} shows ${needle}`);
  }
});

blocks.forEach((code, i) => {
  it(`docs/flow-control.md example ${i + 1} runs`, { timeout: 60_000 }, () => {
    const file = join(root, "test", "engine", `.flow-doc-example-${process.pid}-${i}.ts`);
    const remove = writeExample(file, code);
    try {
      const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", timeout: 55_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    } finally {
      remove();
    }
  });
});
