// Example durable tasks for the `errand` CLI walkthrough (see README.md next to this file).
import { defineTask, NonRetriableError } from "errand";

export const greet = defineTask({
  id: "greet",
  title: "Greet someone",
  description: "Returns a greeting; logs it too",
  run: async (payload: { name?: string }, ctx) => {
    const name = payload?.name ?? "world";
    ctx.log.info("greeting", { name });
    return { greeting: `Hello, ${name}!` };
  },
});

export const importRows = defineTask({
  id: "import-rows",
  title: "Import rows",
  description: "Pretends to import rows in steps, reporting progress",
  queue: { name: "imports", concurrencyLimit: 2 },
  run: async (payload: { rows?: number; delayMs?: number }, ctx) => {
    const rows = payload?.rows ?? 5;
    let total = 0;
    for (let i = 0; i < rows; i++) {
      total += await ctx.step(`row-${i}`, async () => {
        await new Promise((r) => setTimeout(r, payload?.delayMs ?? 200));
        return i + 1;
      });
      await ctx.progress((i + 1) / rows, `row ${i + 1} of ${rows}`);
    }
    return { imported: rows, checksum: total };
  },
});

export const failing = defineTask({
  id: "always-fails",
  description: "Fails without retrying, to show errors and exit codes",
  run: async () => {
    throw new NonRetriableError("the upstream API said no");
  },
});

export const heartbeat = defineTask({
  id: "heartbeat",
  description: "Runs every minute from the task's `schedule`",
  schedule: "* * * * *",
  run: async (payload: { scheduledAt: string; lastScheduledAt: string | null }, ctx) => {
    ctx.log.info("tick", payload);
    return { at: payload.scheduledAt };
  },
});

export const refund = defineTask({
  id: "refund",
  description: "Started by refund.requested; waits for a person's approval (a waitpoint token)",
  on: "refund.requested",
  run: async (payload: { refundId: string; amount: number }, ctx) => {
    const token = await ctx.createToken<{ approved: boolean; by?: string }>("approval", { timeout: { days: 2 } });
    ctx.log.info("waiting for approval: errand tokens complete <id> (see errand runs show)", { refundId: payload.refundId });
    const answer = await ctx.waitForToken(token);
    if (!answer.ok) return { refundId: payload.refundId, refunded: false, reason: "nobody approved it in time" };
    return { refundId: payload.refundId, refunded: answer.output.approved, by: answer.output.by ?? null };
  },
});
