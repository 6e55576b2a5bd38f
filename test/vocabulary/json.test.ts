/**
 * Issue 13, rows 13 and 14: JSON as Errand stores it refuses what JSON would change silently (binary
 * data, invalid Dates, symbol keys, …), bounds nesting without overflowing the stack, and caps size.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UnstorableValueError } from "../../src/vocabulary/errors.ts";
import { toJson } from "../../src/vocabulary/json.ts";

function refused(value: unknown, path: string, found: RegExp, cap?: Parameters<typeof toJson>[2]): void {
  assert.throws(
    () => toJson(value, "the payload", cap),
    (e: unknown) => {
      assert.ok(e instanceof UnstorableValueError, `an UnstorableValueError, got ${String(e)}`);
      assert.ok(e instanceof TypeError);
      assert.equal(e.path, path);
      assert.equal(e.what, "the payload");
      assert.match(e.message, /^the payload cannot be stored as JSON: /);
      assert.match(e.message, found);
      return true;
    },
  );
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("toJson", () => {
  it("encodes plain data, Dates and toJSON objects as JSON.stringify does", () => {
    assert.equal(toJson({ a: [1, "x", null, true], d: new Date(0) }, "w"), '{"a":[1,"x",null,true],"d":"1970-01-01T00:00:00.000Z"}');
    assert.equal(toJson(undefined, "w"), "null");
    assert.equal(toJson({ skip: undefined, k: 1 }, "w"), '{"k":1}');
    assert.equal(toJson({ toJSON: () => ({ n: 1 }) }, "w"), '{"n":1}');
    assert.equal(toJson({ toJSON: () => undefined }, "w"), "null");
    assert.equal(toJson("a\u0000b\ud800", "w"), '"a\\u0000b\\ud800"', "NUL and lone surrogates are escaped, not lost");
    assert.equal(toJson(Object.assign(Object.create(null) as object, { x: 1 }), "w"), '{"x":1}');
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    assert.equal(toJson(new Point(1, 2), "w"), '{"x":1,"y":2}', "class instances keep their own fields");
  });

  it("refuses binary data instead of turning it into {\"0\":…}", () => {
    refused({ bytes: new Uint8Array([1, 2]) }, "$.bytes", /Uint8Array/);
    refused(Buffer.from("hi"), "$", /Buffer|Uint8Array/);
    refused([new ArrayBuffer(4)], "$[0]", /ArrayBuffer/);
    refused(new DataView(new ArrayBuffer(1)), "$", /DataView/);
  });

  it("refuses an invalid Date instead of storing null", () => {
    refused({ when: new Date("nope") }, "$.when", /invalid Date/);
  });

  it("refuses symbol keys instead of dropping them", () => {
    refused({ a: { [Symbol("secret")]: 1, b: 2 } }, "$.a", /symbol key/);
  });

  it("refuses values that JSON.stringify would drop or turn into {}", () => {
    refused({ m: new Map() }, "$.m", /Map/);
    refused(new Set([1]), "$", /Set/);
    refused({ r: /x/ }, "$.r", /RegExp/);
    refused({ e: new Error("boom") }, "$.e", /Error/);
    refused({ p: Promise.resolve(1) }, "$.p", /Promise/);
    refused({ w: new WeakMap() }, "$.w", /WeakMap/);
    refused([() => 1], "$[0]", /function/);
    refused({ s: Symbol("x") }, "$.s", /symbol/);
    refused([undefined], "$[0]", /undefined inside an array/);
    refused([{ toJSON: () => undefined }], "$[0]", /undefined inside an array/);
    refused({ n: new Number(NaN) }, "$.n", /NaN/);
  });

  it("names awkward keys in the path unambiguously", () => {
    refused({ "a b": { "0x": [1n] } }, '$["a b"]["0x"][0]', /BigInt/);
  });

  it("a value that throws while being read (getter, toJSON, Proxy) is an UnstorableValueError naming the path", () => {
    refused({ a: { get x() { throw new Error("getter boom"); } } }, "$.a.x", /getter boom/);
    refused({ t: { toJSON() { throw new Error("toJSON boom"); } } }, "$.t", /toJSON boom/);
    const proxy = new Proxy({}, { ownKeys() { throw new Error("trap boom"); } });
    refused({ p: proxy }, "$.p", /trap boom/);
  });

  it("a toJSON that returns its own object is encoded once, not followed forever", () => {
    const o = { n: 1, toJSON() { return this; } };
    assert.equal(toJson(o, "w"), '{"n":1}');
  });

  it("bounds nesting: 5,000 levels is a clear error, not a stack overflow", () => {
    refused(nested(5_000), "$" + ".a".repeat(256), /nested deeper than 256 levels/);
    assert.equal(typeof toJson(nested(256), "w"), "string", "256 levels of objects are fine");
    refused(nested(11), "$" + ".a".repeat(10), /nested deeper than 10 levels \(limits\.jsonDepth\)/, { bytes: Infinity, name: "payloadBytes", depth: 10 });
    const deepArray: unknown[] = [];
    let cur = deepArray;
    for (let i = 0; i < 5_000; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    assert.throws(() => toJson(deepArray, "w"), (e: unknown) => e instanceof UnstorableValueError && /nested deeper/.test(e.message));
  });

  it("caps the size in UTF-8 bytes, naming the limit", () => {
    const cap = { bytes: 10, name: "payloadBytes", depth: 256 };
    assert.equal(toJson("12345678", "w", cap), '"12345678"', "exactly the cap is fine");
    refused("123456789", "$", /11 bytes, over the limit of 10 bytes \(limits\.payloadBytes\)/, cap);
    refused("ééééé", "$", /12 bytes/, cap); // 5 × 2 bytes + quotes: the count is in bytes, not characters
  });

  it("refuses a circular reference but accepts the same object twice side by side", () => {
    const shared = { x: 1 };
    assert.equal(toJson([shared, shared], "w"), '[{"x":1},{"x":1}]');
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    refused(cyclic, "$.self", /circular/);
  });

  it("flat objects of primitives (the fast path) keep every refusal and JSON's own rules", () => {
    assert.equal(toJson({ i: 1, user: "u1", ok: true, none: null }, "w"), '{"i":1,"user":"u1","ok":true,"none":null}');
    assert.equal(toJson({ a: 1, gone: undefined }, "w"), '{"a":1}');
    refused({ i: 1, n: Number.NaN }, "$.n", /NaN/);
    refused({ i: 1, big: 1n }, "$.big", /BigInt/);
    refused({ i: 1, f: () => 1 }, "$.f", /function/);
    refused({ i: 1, [Symbol("s")]: 1 }, "$", /symbol key/);
    const hidden = { a: 1 };
    Object.defineProperty(hidden, "toJSON", { value: () => ({ via: "toJSON" }), enumerable: false });
    assert.equal(toJson(hidden, "w"), '{"via":"toJSON"}');
    const throwing = { a: 1, get b(): number { throw new Error("boom"); } };
    refused(throwing, "$.b", /unreadable: reading it threw/);
    refused({ s: "123456789" }, "$", /over the limit of 10 bytes/, { bytes: 10, name: "payloadBytes", depth: 256 });
    refused({ a: 1 }, "$", /nested deeper than 0 levels/, { bytes: Infinity, name: "", depth: 0 });
  });
});
