/** Issue 13, rows 10 and 11: names and integers both stores can hold; text made storable. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS, MAX_INT32, resolveLimits } from "../../src/vocabulary/limits.ts";
import { checkInt, checkName, storableText } from "../../src/vocabulary/validate.ts";

describe("checkName", () => {
  it("accepts ordinary names, also with emoji (surrogate pairs)", () => {
    assert.equal(checkName("emails", "w"), "emails");
    assert.equal(checkName("tenant-😀", "w"), "tenant-😀");
  });

  it("refuses NUL, lone surrogates, empty, non-strings and over-long names, naming `what`", () => {
    const cases: [unknown, RegExp][] = [
      ["a\u0000b", /NUL character \(found at index 1\)/],
      ["x\ud800", /lone surrogate/],
      ["\udc00x", /lone surrogate/],
      ["", /non-empty string/],
      [5, /non-empty string.*got 5/],
      ["x".repeat(513), /at most 512 characters, got 513/],
    ];
    for (const [v, re] of cases) {
      assert.throws(() => checkName(v, "trigger(\"t\"): option `queue`"), (e: Error) => e instanceof TypeError && e.message.startsWith("trigger(\"t\"): option `queue`") && re.test(e.message), String(v));
    }
    assert.throws(() => checkName("x".repeat(1_000_000), "w"), /at most 512 characters, got 1000000/);
    assert.equal(checkName("x".repeat(20), "w", 20), "x".repeat(20));
  });
});

describe("checkInt", () => {
  it("bounds integers to 32 bits by default", () => {
    assert.equal(checkInt(MAX_INT32, "w", 1), MAX_INT32);
    assert.throws(() => checkInt(2 ** 31, "w: option `maxAttempts`", 1), /w: option `maxAttempts` must be an integer from 1 to 2147483647, got 2147483648/);
    assert.throws(() => checkInt(1.5, "w", 1), /got 1.5/);
    assert.throws(() => checkInt(NaN, "w", 1), /got NaN/);
    assert.throws(() => checkInt("3", "w", 1), /got "3"/);
  });
});

describe("storableText", () => {
  it("escapes NUL and replaces lone surrogates; leaves everything else alone", () => {
    assert.equal(storableText("a\u0000b"), "a\\u0000b");
    assert.equal(storableText("x\ud800y"), "x\uFFFDy");
    assert.equal(storableText("ok 😀 \n\t"), "ok 😀 \n\t");
  });
});

describe("resolveLimits", () => {
  it("fills defaults and refuses unknown keys and bad values, naming the option", () => {
    assert.deepEqual(resolveLimits(undefined, "createEngine"), DEFAULT_LIMITS);
    assert.equal(resolveLimits({ payloadBytes: 10 }, "createEngine").payloadBytes, 10);
    assert.equal(resolveLimits({ payloadBytes: 10 }, "createEngine").outputBytes, DEFAULT_LIMITS.outputBytes);
    assert.throws(() => resolveLimits({ payloadBytes: -1 }, "createEngine"), /createEngine: option `limits.payloadBytes` must be an integer from 1/);
    assert.throws(() => resolveLimits({ jsonDepth: 5000 }, "createEngine"), /`limits.jsonDepth` must be an integer from 1 to 1000/);
    assert.throws(() => resolveLimits({ payloadbytes: 1 } as never, "createEngine"), /unknown option `limits.payloadbytes`/);
    assert.throws(() => resolveLimits(5 as never, "createEngine"), /option `limits` must be an object/);
  });
});
