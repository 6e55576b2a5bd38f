/**
 * Tasks and checks shared by the vitest and jest specs beside this file (each runner runs the same
 * checks through its own `test`/`expect`).
 */
import { defineTask } from "../../../src/index.ts";
import { createTestEngine, RunBlockedError } from "../../../src/testing/index.ts";

export const START = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let calls = 0;

export const flaky = defineTask({
  id: "flaky",
  retry: { maxAttempts: 5, minDelayMs: MINUTE, factor: 1, randomize: false },
  run: async (payload: { n: number }, ctx) => {
    await ctx.sleep("cool-down", { days: 3 });
    const value = await ctx.step("call-api", () => {
      calls++;
      if (calls < 3) throw new Error(`api down (call ${calls})`);
      return payload.n * 2;
    });
    return { value };
  },
});

export const checkout = defineTask({
  id: "checkout",
  run: async (order: { id: string }, ctx) => ctx.waitForEvent("payment", { event: "order.paid", match: { orderId: order.id } }),
});

/** Runs `flaky` with t.run; returns what the spec asserts on. */
export async function sleepAndRetry() {
  calls = 0;
  const began = performance.now();
  const t = createTestEngine({ tasks: [flaky], startAt: START });
  try {
    const result = await t.run(flaky, { n: 21 });
    return { output: result.unwrap(), calls, virtualMs: t.clock.now() - START, realMs: performance.now() - began };
  } finally {
    await t.close();
  }
}

/** t.run of `checkout`: returns the rejection (a RunBlockedError expected). */
export async function blockedOnEvent() {
  const t = createTestEngine({ tasks: [checkout] });
  try {
    const error = await t.run(checkout, { id: "o-1" }).catch((e: unknown) => e);
    return { isBlocked: error instanceof RunBlockedError, message: String((error as Error).message) };
  } finally {
    await t.close();
  }
}

/** Step by step: trigger, runUntilIdle, sendEvent, runUntilIdle. */
export async function stepByStep() {
  const t = createTestEngine({ tasks: [checkout], startAt: START });
  try {
    const { id } = await t.trigger(checkout, { id: "o-2" });
    await t.runUntilIdle();
    const before = (await t.runs.get(id))?.status;
    await t.clock.advance({ days: 1 });
    const woken = await t.sendEvent("order.paid", { orderId: "o-2", amount: 9 });
    await t.runUntilIdle();
    const after = await t.runs.get(id);
    return { before, woken, status: after?.status, output: after?.output, day: t.clock.now() - START === DAY };
  } finally {
    await t.close();
  }
}
