/**
 * Issue 13, row 12: error serialisation cannot fail. Whatever a task throws, `serializeError` returns
 * plain strings that `JSON.stringify` always encodes, bounded in depth and size.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serializeError, type SerializedError } from "../../src/vocabulary/serialize-error.ts";

/** Serialises, then checks the result is storable and small. */
function safe(thrown: unknown): SerializedError {
  const s = serializeError(thrown);
  const json = JSON.stringify(s);
  assert.equal(typeof json, "string");
  assert.ok(json.length < 200_000, `bounded (${json.length} characters)`);
  assert.equal(typeof s.name, "string");
  assert.equal(typeof s.message, "string");
  return s;
}

describe("serializeError", () => {
  it("keeps name, message, stack, stepKey and cause of an Error", () => {
    const e = Object.assign(new TypeError("outer", { cause: new Error("inner") }), { stepKey: "a/b" });
    const s = safe(e);
    assert.equal(s.name, "TypeError");
    assert.equal(s.message, "outer");
    assert.match(s.stack!, /TypeError: outer/);
    assert.equal(s.stepKey, "a/b");
    assert.equal((s.cause as SerializedError).message, "inner");
  });

  it("a Proxy whose every trap throws", () => {
    const boom = () => {
      throw new Error("trap");
    };
    const p = new Proxy({}, { get: boom, getPrototypeOf: boom, ownKeys: boom, has: boom, getOwnPropertyDescriptor: boom });
    const s = safe(p);
    assert.equal(typeof s.message, "string");
  });

  it("a revoked Proxy", () => {
    const { proxy, revoke } = Proxy.revocable(new Error("x"), {});
    revoke();
    safe(proxy);
  });

  it("an Error whose message, name and stack getters throw", () => {
    const e = new Error("x");
    for (const k of ["stack", "message", "name", "cause"]) {
      Object.defineProperty(e, k, {
        get() {
          throw new Error(`${k} getter`);
        },
      });
    }
    const s = safe(e);
    assert.equal(s.name, "Error");
  });

  it("non-string name and message, and a name whose toJSON throws", () => {
    const e = new Error("x");
    Object.defineProperty(e, "name", { value: { toJSON() { throw new Error("toJSON"); }, toString() { return "Odd"; } } });
    Object.defineProperty(e, "message", { value: 42 });
    const s = safe(e);
    assert.equal(s.name, "Odd");
    assert.equal(s.message, "42");
  });

  it("thrown non-errors: objects with a throwing toJSON, null-prototype objects, symbols, BigInts", () => {
    assert.match(safe({ toJSON() { throw new Error("no"); } }).message, /non-Error/);
    assert.match(safe(Object.create(null)).message, /non-Error/);
    assert.match(safe(Symbol("s")).message, /Symbol\(s\)/);
    assert.match(safe(10n).message, /10/);
    assert.match(safe(undefined).message, /undefined/);
    assert.equal(safe("plain").name, "NonErrorThrown");
  });

  it("a cyclic cause chain and a chain 10,000 deep are cut at a few levels", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    let depth = 0;
    for (let c: SerializedError | undefined = safe(a); c !== undefined; c = c.cause as SerializedError | undefined) depth++;
    assert.ok(depth <= 6, `cut (${depth})`);
    let deep: Error = new Error("root");
    for (let i = 0; i < 10_000; i++) deep = new Error(`level ${i}`, { cause: deep });
    safe(deep);
  });

  it("huge messages and stacks are truncated, saying so", () => {
    const e = new Error("m".repeat(5_000_000));
    const s = safe(e);
    assert.ok(s.message.length < 20_000);
    assert.match(s.message, /truncated/);
  });

  it("an Error-like object with a throwing message getter", () => {
    const o = {
      get message(): string {
        throw new Error("getter");
      },
    };
    safe(o);
  });
});
