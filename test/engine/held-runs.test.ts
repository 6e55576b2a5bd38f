/** The worker's registry of held runs: the by-id index across its renewals, and what a run lets go of. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HeldRuns } from "../../src/engine/worker/held-runs.ts";
import type { HeldRun } from "../../src/engine/worker/held-run.ts";
import type { ClaimedRun } from "../../src/store/types.ts";

function claimed(id: string): ClaimedRun {
  return { run: { id, taskId: "t", attempt: 1, tags: [], createdAt: 0, parentRunId: null } as unknown as ClaimedRun["run"], steps: [] };
}

const info = { id: "x", taskId: "t", attempt: 1, tags: [], createdAt: new Date(0), parentRunId: null };
const lost = (previous: HeldRun) => new Error(`taken over: ${previous.id}`);

/** Starts, settles and writes one run: buffered → executing → writing → released. */
function finish(run: HeldRun): void {
  run.start(info, 0, null);
  assert.equal(run.settled(true), true);
  run.written();
}

describe("held runs", () => {
  it("finds every current holder by id, takes over its own runs and counts right, across thousands of runs (index renewals)", () => {
    let released = 0;
    const held = new HeldRuns(() => released++);
    const keep: HeldRun[] = [];
    for (let i = 0; i < 5000; i++) {
      const run = held.add(claimed(`r${i}`), 1000, lost);
      if (i % 1000 === 0) keep.push(run); // stays buffered throughout
    }
    for (let run = held.nextBuffered(); run !== undefined; run = held.nextBuffered()) {
      if (!keep.includes(run)) finish(run);
    }
    assert.equal(released, 5000 - keep.length);
    assert.equal(held.size, keep.length);
    for (const run of keep) assert.equal(held.get(run.id), run);
    assert.equal(held.get("r1"), undefined);
    // A claim that returns a run this worker still holds: the old holder is lost, the new one is current.
    const again = held.add(claimed("r2000"), 2000, lost);
    assert.equal(held.get("r2000"), again);
    assert.equal(keep[2]!.state, "released");
    assert.equal(held.size, keep.length);
    assert.deepEqual(
      held.holders().map((r) => r.id).sort(),
      ["r0", "r1000", "r2000", "r3000", "r4000"],
    );
  });

  it("a run lets go of its claim once its function returned, and of its run info once released", () => {
    const held = new HeldRuns(() => {});
    const run = held.add(claimed("a"), 1000, lost);
    assert.equal(held.nextBuffered(), run);
    run.start(info, 0, null);
    assert.equal(run.claimed.run.id, "a");
    run.settled(true);
    assert.equal(run.state, "writing");
    assert.throws(() => run.claimed, /its claim is let go of/);
    assert.equal(run.info, info); // the completion event still needs it
    run.written();
    assert.equal(run.state, "released");
    assert.equal(run.info, null);
    assert.equal(run.id, "a");
  });
  it("takes the newest buffered runs out, skipping runs that left the buffer, and the oldest still start next", () => {
    const held = new HeldRuns(() => {});
    const runs = Array.from({ length: 6 }, (_, i) => held.add(claimed(`b${i}`), 1000, lost));
    runs[4]!.lose(new Error("canceled")); // released while buffered: its slot is skipped
    const taken = held.takeNewestBuffered(2);
    assert.deepEqual(taken.map((r) => r.id), ["b5", "b3"]);
    assert.ok(taken.every((r) => r.state === "buffered"));
    for (const r of taken) r.lose(new Error("handed back"));
    assert.equal(held.buffered, 3);
    assert.deepEqual([held.nextBuffered()?.id, held.nextBuffered()?.id, held.nextBuffered()?.id, held.nextBuffered()], ["b0", "b1", "b2", undefined]);
    assert.deepEqual(held.takeNewestBuffered(5), []);
  });
});
