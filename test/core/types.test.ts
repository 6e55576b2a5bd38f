// Type tests: checked by `tsc --noEmit` (part of `npm test`). A `@ts-expect-error` that no longer
// finds an error fails the type check, so each one proves that a wrong type does not compile.
import { it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task, type Task } from "../../src/core/index.ts";

const getUser = task(async (_ctx, id: number) => ({ id, name: `user ${id}` }));
const getOrders = task({
  id: "get-orders",
  key: (q: { userId: number }) => String(q.userId),
  run: async (_ctx, q) => [{ userId: q.userId, total: 10 }],
});
const count = task((_ctx, s: string) => s.length);

it("ctx.all returns a typed tuple (checked at compile time)", async () => {
  const ctx = createContext();
  const [user, orders, n] = await ctx.all([getUser.bind(1), getOrders.bind({ userId: 1 }), count.bind("abc")]);
  const name: string = user.name;
  const total: number = orders[0]!.total;
  const len: number = n;
  // @ts-expect-error — element 0 is a user object, not a string
  const wrong: string = user;
  // @ts-expect-error — element 2 is a number, not a string
  const wrong2: string = n;
  // @ts-expect-error — the tuple has three elements
  const [, , , fourth] = await ctx.all([getUser.bind(1), getOrders.bind({ userId: 1 }), count.bind("abc")]);
  assert.deepEqual([name, total, len, typeof wrong, typeof wrong2, fourth], ["user 1", 10, 3, "object", "number", undefined]);
});

it("allSettled returns a tuple of PromiseSettledResult (checked at compile time)", async () => {
  const [r] = await createContext().allSettled([count.bind("ab")]);
  const v: number | undefined = r.status === "fulfilled" ? r.value : undefined;
  // @ts-expect-error — a settled result is not the value itself
  const wrong: number = r;
  assert.equal(v, 2);
  assert.equal(typeof wrong, "object");
});

it("run and bind check the input type (checked at compile time)", async () => {
  const ctx = createContext();
  // @ts-expect-error — getUser takes a number
  const loose = await getUser.run(ctx, "1");
  assert.equal(loose.id, "1"); // at run time nothing checks the type: this is what the compiler prevents
  // @ts-expect-error — getOrders takes { userId: number }
  getOrders.bind({ user: 1 });
  const t: Task<number, { id: number; name: string }> = getUser;
  assert.equal((await t.run(ctx, 2)).name, "user 2");
});
