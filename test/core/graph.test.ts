import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createContext, task, type Context } from "../../src/core/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The request-scope graph: profile runs user and orders in parallel; both need auth. */
function graph() {
  const log: string[] = [];
  const auth = task(async function auth(_ctx: Context, token: string) {
    log.push("auth:start");
    await sleep(5);
    log.push("auth:end");
    return { userId: token === "t1" ? 1 : 2 };
  });
  const user = task(async function user(ctx: Context, token: string) {
    const { userId } = await auth.run(ctx, token);
    log.push("user");
    return { id: userId, name: `user ${userId}` };
  });
  const orders = task({
    id: "orders",
    run: async (ctx: Context, token: string) => {
      const { userId } = await auth.run(ctx, token);
      log.push("orders");
      return [{ userId, total: 3 }];
    },
  });
  const profile = task(async function profile(ctx: Context, token: string) {
    const [u, o] = await ctx.all([user.bind(token), orders.bind(token)]);
    log.push("profile");
    return { name: u.name, orders: o.length };
  });
  return { log, auth, user, orders, profile };
}

describe("task graphs", () => {
  it("a shared dependency runs once per context across the graph, in order", async () => {
    const g = graph();
    const ctx = createContext();
    assert.deepEqual(await g.profile.run(ctx, "t1"), { name: "user 1", orders: 1 });
    assert.equal(g.log.filter((l) => l === "auth:start").length, 1, "auth ran once");
    assert.equal(g.log[0], "auth:start");
    assert.equal(g.log[1], "auth:end", "user and orders wait for auth");
    assert.deepEqual(new Set(g.log.slice(2, 4)), new Set(["user", "orders"]));
    assert.equal(g.log[4], "profile");
    // a later direct call in the same context is cached all the way down
    assert.deepEqual(await g.user.run(ctx, "t1"), { id: 1, name: "user 1" });
    assert.equal(g.log.length, 5);
  });

  it("a new context runs the graph again; a different input is a separate graph", async () => {
    const g = graph();
    await g.profile.run(createContext(), "t1");
    await g.profile.run(createContext(), "t1");
    const ctx = createContext();
    await g.profile.run(ctx, "t1");
    await g.profile.run(ctx, "t2");
    assert.equal(g.log.filter((l) => l === "auth:start").length, 4);
  });

  it("an error deep in the graph reaches the caller and is cached for every dependant", async () => {
    let calls = 0;
    const base = task(async (_ctx: Context, _n: number) => {
      calls++;
      throw new Error("db down");
    });
    const mid = task(async (ctx: Context, n: number) => base.run(ctx, n));
    const top = task(async (ctx: Context, n: number) => ctx.allSettled([mid.bind(n), base.bind(n)]));
    const [m, b] = await top.run(createContext(), 1);
    assert.equal(m.status, "rejected");
    assert.equal(b.status, "rejected");
    assert.equal(calls, 1);
  });
});
