/**
 * Checks of the bench helpers whose mistakes would silently skew every table (medians, percentiles,
 * ratios, env knobs). Not part of `npm test` (that walks src/ and test/); run with
 * `node --import tsx --test bench/lib/stats.test.ts`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { median, percentile, ratio, fmtInt } from "./stats.ts";
import { envInt } from "./env.ts";
import { openLoop } from "./open-loop.ts";

test("median of odd and even counts, unsorted input, empty", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test("percentile by nearest rank", () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([7], 99), 7);
});

test("ratio and formatting", () => {
  assert.equal(ratio(3, 2), "1.50×");
  assert.equal(ratio(undefined, 2), "n/a");
  assert.equal(ratio(1, 0), "n/a");
  assert.equal(fmtInt(12345.6), "12,346");
});

test("envInt: default, parse, and a TypeError naming the variable", () => {
  delete process.env["BENCH_TEST_X"];
  assert.equal(envInt("BENCH_TEST_X", 5), 5);
  process.env["BENCH_TEST_X"] = "20_000";
  assert.equal(envInt("BENCH_TEST_X", 5), 20000);
  process.env["BENCH_TEST_X"] = "-3";
  assert.throws(() => envInt("BENCH_TEST_X", 5), (e: unknown) => e instanceof TypeError && e.message.includes("BENCH_TEST_X"));
  delete process.env["BENCH_TEST_X"];
});

test("openLoop fires every index once, in order, without waiting for the callbacks", async () => {
  const fired: number[] = [];
  await openLoop(20, 1000, (i) => fired.push(i));
  assert.deepEqual(fired, Array.from({ length: 20 }, (_, i) => i));
});
