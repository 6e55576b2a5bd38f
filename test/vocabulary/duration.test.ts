/** Issue 13, row 7: one duration parser — own units only, finite, whole ms, within a documented maximum. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_DURATION_MS, MAX_TIME_MS, toMs, toTime } from "../../src/vocabulary/duration.ts";

describe("toMs", () => {
  it("sums the units of an object and takes plain milliseconds", () => {
    assert.equal(toMs(1500, "t"), 1500);
    assert.equal(toMs({ seconds: 1, ms: 5 }, "t"), 1005);
    assert.equal(toMs({ days: 1, hours: 1, minutes: 1 }, "t"), 86_400_000 + 3_600_000 + 60_000);
    assert.equal(toMs({}, "t"), 0);
    assert.equal(toMs(Object.assign(Object.create(null) as object, { minutes: 2 }), "t"), 120_000);
  });

  it("rounds to whole milliseconds (stores keep integers)", () => {
    assert.equal(toMs(0.4, "t"), 0);
    assert.equal(toMs({ seconds: 0.0015 }, "t"), 2);
  });

  it("refuses inherited names used as units: constructor, toString, __proto__, valueOf, hasOwnProperty", () => {
    for (const unit of ["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"]) {
      const d = JSON.parse(`{"${unit}": 1}`) as never;
      assert.throws(
        () => toMs(d, "ctx.sleep(\"nap\")"),
        (e: Error) => e instanceof TypeError && e.message.includes(`ctx.sleep("nap")`) && e.message.includes(`"${unit}"`),
        unit,
      );
    }
  });

  it("refuses symbol keys, arrays, Dates and other non-plain objects", () => {
    assert.throws(() => toMs({ [Symbol("s")]: 1 } as never, "w"), /w: .*symbol/);
    assert.throws(() => toMs([5] as never, "w"), /w: .*array/);
    assert.throws(() => toMs(new Date() as never, "w"), /w: .*Date/);
    assert.throws(() => toMs(new Map() as never, "w"), /w: .*Map/);
    assert.throws(() => toMs("5s" as never, "w"), /w must be a number of ms or/);
    assert.throws(() => toMs(null as never, "w"), /w must be a number of ms or/);
  });

  it("refuses non-finite, negative and over-maximum values, naming the unit or value", () => {
    assert.throws(() => toMs(NaN, "w"), (e: Error) => e instanceof TypeError && /^w must be a duration >= 0.*NaN/.test(e.message));
    assert.throws(() => toMs(Infinity, "w"), /Infinity/);
    assert.throws(() => toMs(-1, "w"), /-1/);
    assert.throws(() => toMs(1e300, "ctx.sleep(\"nap\")"), (e: Error) => e instanceof TypeError && /ctx\.sleep\("nap"\).*1e\+300.*maximum/.test(e.message));
    assert.throws(() => toMs({ days: 1e305 }, "w"), (e: Error) => e instanceof TypeError && /`days`.*maximum/.test(e.message));
    assert.throws(() => toMs({ days: 60_000, hours: 24 * 50_000 }, "w"), /maximum/, "the sum counts, not each unit");
    assert.throws(() => toMs({ seconds: "5" } as never, "w"), /`seconds` must be a number/);
    assert.throws(() => toMs({ minutes: -1 }, "w"), /`minutes`/);
    assert.equal(toMs(MAX_DURATION_MS, "w"), MAX_DURATION_MS, "the maximum itself is allowed");
    assert.throws(() => toMs(MAX_DURATION_MS + 1, "w"), /maximum/);
  });

  it("`positive` refuses zero", () => {
    assert.throws(() => toMs(0, "w", { positive: true }), /TypeError: w must be a duration > 0/);
    assert.equal(toMs(1, "w", { positive: true }), 1);
  });

  it("the maximum plus any time from now to the maximum time is still a valid Date", () => {
    assert.ok(!Number.isNaN(new Date(MAX_TIME_MS + MAX_DURATION_MS).getTime()));
  });
});

describe("toTime", () => {
  it("takes a Date or epoch ms, in whole ms", () => {
    assert.equal(toTime(new Date(5), "w"), 5);
    assert.equal(toTime(5.6, "w"), 6);
  });

  it("refuses invalid Dates, non-finite numbers, and times after the maximum", () => {
    assert.throws(() => toTime(new Date("nope"), "ctx.sleepUntil(\"x\")"), (e: Error) => e instanceof TypeError && /ctx\.sleepUntil\("x"\)/.test(e.message));
    assert.throws(() => toTime(1e300, "w"), /w: .*after 9999/);
    assert.throws(() => toTime(MAX_TIME_MS + 1, "w"), /after 9999/);
    assert.throws(() => toTime(-Infinity, "w"), /w:/);
    assert.throws(() => toTime("2020-01-01" as never, "w"), /w: expected a Date or epoch ms/);
    assert.equal(toTime(MAX_TIME_MS, "w"), MAX_TIME_MS);
  });
});
