/** newId: UUID version 7 layout, time-ordered within a process (also within one millisecond), unique. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { newId } from "./ids.ts";

it("newId gives version-7 UUIDs that sort in creation order and never repeat", () => {
  const t = 1_800_000_000_000;
  const ids = Array.from({ length: 20_000 }, (_, i) => newId(t + Math.floor(i / 3000)));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id, i) => i === 0 || ids[i - 1]! < id), "sorted by creation");
  assert.equal(ids[0]!.slice(0, 13).replace("-", ""), t.toString(16).padStart(12, "0"), "the time is the first 48 bits");
  const earlier = newId(t - 5000);
  assert.ok(earlier > ids[ids.length - 1]!, "a clock going back does not break the order");
});
