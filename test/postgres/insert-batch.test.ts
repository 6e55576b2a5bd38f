/** The parameters of a batch of default runs (src/postgres/insert-batch.ts), without a server. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultBatchParams, quotedArrayLiteral } from "../../src/postgres/insert-batch.ts";
import { newRun, T0 } from "../../src/store/conformance/harness.ts";

describe("postgres insert-batch", () => {
  it("quotes every element and escapes quotes and backslashes only", () => {
    assert.equal(quotedArrayLiteral([]), "{}");
    assert.equal(quotedArrayLiteral(["a", "b c", "NULL", ""]), '{"a","b c","NULL",""}');
    assert.equal(quotedArrayLiteral(['{"i":1}', "back\\slash", "{x,y}"]), '{"{\\"i\\":1}","back\\\\slash","{x,y}"}');
  });

  it("a batch of default runs of one task, queue and time: ids and payloads as literals, the rest once", () => {
    const runs = [newRun({ payload: '"a"' }), newRun({ payload: '"b"' })];
    assert.deepEqual(defaultBatchParams(runs, [T0, T0]), [`{"${runs[0]!.id}","${runs[1]!.id}"}`, '{"\\"a\\"","\\"b\\""}', "task", "default", T0, 3]);
  });

  it("null for any other batch (the general statement inserts it)", () => {
    const others: Partial<Parameters<typeof newRun>[0]>[] = [
      { taskId: "other" },
      { queue: "q" },
      { maxAttempts: 1 },
      { status: "delayed", runAt: T0 + 1 },
      { runAt: T0 - 1 },
      { priority: 1 },
      { concurrencyKey: "k" },
      { expiresAt: T0 + 1 },
      { parentRunId: "p" },
      { scheduleId: "s" },
      { traceContext: "{}" },
      { idempotencyKey: "k" },
      { tags: ["t"] },
      { debounce: { key: "d", until: null } },
    ];
    for (const o of others) assert.equal(defaultBatchParams([newRun(), newRun(o)], [T0, T0]), null, JSON.stringify(o));
    assert.equal(defaultBatchParams([newRun(), newRun()], [T0, T0 + 1]), null, "two times of insert");
    assert.equal(defaultBatchParams([], []), null);
  });
});
