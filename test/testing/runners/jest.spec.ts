/** errand/testing under jest (ESM, `node --experimental-vm-modules`) (run by test/testing/runners.test.ts). */
import { expect, test } from "@jest/globals";
import { blockedOnEvent, sleepAndRetry, stepByStep } from "./tasks.ts";

test("t.run: three days of sleep and two 1-minute retries in virtual time", async () => {
  const r = await sleepAndRetry();
  expect(r.output).toEqual({ value: 42 });
  expect(r.calls).toBe(3);
  expect(r.virtualMs).toBe(3 * 86_400_000 + 2 * 60_000);
  console.log(`jest: 3-day sleep + 2 retries took ${r.realMs.toFixed(1)} ms`);
});

test("t.run rejects with RunBlockedError naming the event", async () => {
  const r = await blockedOnEvent();
  expect(r.isBlocked).toBe(true);
  expect(r.message).toMatch(/event "order\.paid" \(ctx\.waitForEvent\("payment"\)/);
});

test("step by step: trigger, runUntilIdle, clock.advance, sendEvent", async () => {
  expect(await stepByStep()).toEqual({ before: "waiting", woken: 1, status: "completed", output: { orderId: "o-2", amount: 9 }, day: true });
});
