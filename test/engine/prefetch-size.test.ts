/** The adaptive prefetch buffer's size (src/engine/worker/prefetch.ts): how it follows run times, and its surplus. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_FACTOR, Prefetch } from "../../src/engine/worker/prefetch.ts";
import type { ResolvedWorkerOptions } from "../../src/engine/worker/options.ts";

const adaptive = (concurrency: number) => new Prefetch({ concurrency, prefetch: null } as unknown as ResolvedWorkerOptions);

describe("prefetch size", () => {
  it("a fixed prefetch is used as given, and never has a surplus", () => {
    const p = new Prefetch({ concurrency: 4, prefetch: 7 } as unknown as ResolvedWorkerOptions);
    p.observe(1000);
    assert.equal(p.size, 7);
    assert.equal(p.surplus(1000), 0);
  });

  it("adaptive: nothing before the first run, then about 100 ms of work, at most MAX_FACTOR × concurrency", () => {
    const p = adaptive(24);
    assert.equal(p.size, 0);
    p.observe(0.1);
    assert.equal(p.size, MAX_FACTOR * 24);
    p.observe(10);
    assert.ok(p.size < MAX_FACTOR * 24);
  });

  it("run times that jump from 0.1 ms to 200 ms shrink the buffer within two runs; getting shorter again grows it slowly", () => {
    const p = adaptive(24);
    for (let i = 0; i < 1000; i++) p.observe(0.1);
    assert.equal(p.size, 480);
    p.observe(200);
    p.observe(200);
    assert.ok(p.size <= 24, `after two 200 ms runs the buffer holds at most one round of work (size ${p.size})`);
    p.observe(0.1);
    assert.ok(p.size <= 24, "one short run does not undo it");
    for (let i = 0; i < 500; i++) p.observe(0.1);
    assert.equal(p.size, 480, "many short runs bring it back");
  });

  it("the surplus: what is buffered beyond the size, once the buffer holds more than twice its size plus concurrency", () => {
    const p = adaptive(4);
    p.observe(0.1);
    const full = p.size; // 80
    assert.equal(p.surplus(full), 0);
    p.observe(100);
    p.observe(100); // mean ~75 ms: size 5
    const size = p.size;
    assert.ok(size < 10, `size ${size}`);
    assert.equal(p.surplus(2 * size + 4), 0);
    assert.equal(p.surplus(full), full - size);
  });
});
