/**
 * `npm run demo`: a durable queue on the embedded SQLite default (errand.db in the current folder).
 * Defines a few tasks (one flaky that retries, one slow that reports progress, one multi-step
 * workflow with a sleep and child runs), triggers a batch, runs a worker, prints live progress and a
 * summary. Exits 0 when every run reached its expected end.
 */
import { rmSync } from "node:fs";
import { createEngine, defineTask, NonRetriableError } from "errand";
import { sqliteStore } from "errand/sqlite";

const DB = process.env["ERRAND_DEMO_DB"] ?? "errand.db";
for (const suffix of ["", "-wal", "-shm"]) rmSync(DB + suffix, { force: true });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails on its first two attempts, then succeeds: retries with exponential backoff. */
const flakyCharge = defineTask({
  id: "charge-card",
  title: "Charge a card",
  retry: { maxAttempts: 4, minDelayMs: 100, factor: 2, maxDelayMs: 1000 },
  run: async (payload: { orderId: number; amount: number }, ctx) => {
    if (ctx.run.attempt < 3) throw new Error(`payment gateway timeout (attempt ${ctx.run.attempt})`);
    return { charged: payload.amount, orderId: payload.orderId };
  },
});

/** Takes a while and says how far it got. */
const resizeImages = defineTask({
  id: "resize-images",
  title: "Resize images",
  queue: { name: "media", concurrencyLimit: 2 },
  run: async (payload: { album: string; images: number }, ctx) => {
    for (let i = 1; i <= payload.images; i++) {
      await sleep(40);
      await ctx.progress(i / payload.images, `${i}/${payload.images} images`);
    }
    return { album: payload.album, resized: payload.images };
  },
});

/** Always fails without retrying: shows a failed run and its stored error. */
const importLegacy = defineTask({
  id: "import-legacy",
  run: async (payload: { file: string }) => {
    throw new NonRetriableError(`${payload.file}: unsupported format`);
  },
});

/** A durable workflow: cached steps, a sleep that frees the worker slot, child runs. */
const onboard = defineTask({
  id: "onboard-customer",
  title: "Onboard a customer",
  run: async (payload: { customer: string }, ctx) => {
    const account = await ctx.step("create-account", () => ({ customer: payload.customer, plan: "pro" }));
    ctx.log.info("account created", account);
    await ctx.sleep("cool-down", { ms: 300 });
    const [charge] = await ctx.batchTriggerAndWait(flakyCharge, [{ orderId: 1000, amount: 49 }]);
    const welcome = await ctx.step("send-welcome", (s) => ({ sent: true, idempotencyKey: s.idempotencyKey }));
    return { account, charged: charge!.ok ? charge!.output : null, welcome: welcome.sent };
  },
});

const engine = createEngine({ store: sqliteStore({ path: DB }), tasks: [flakyCharge, resizeImages, importLegacy, onboard] });
const worker = engine.worker({ concurrency: 8, pollIntervalMs: 50 });
const counts = { completed: 0, failed: 0, retrying: 0 };
worker.on("run:completed", () => counts.completed++);
worker.on("run:failed", () => counts.failed++);
worker.on("run:retrying", () => counts.retrying++);
await worker.start();

const t0 = Date.now();
const handles = [
  ...(await engine.batchTrigger(flakyCharge, [1, 2, 3].map((i) => ({ orderId: i, amount: 10 * i })))),
  ...(await engine.batchTrigger(resizeImages, ["summer", "winter", "pets"].map((album) => ({ album, images: 10 })))),
  await engine.trigger(importLegacy, { file: "customers.xls" }),
  await engine.trigger(onboard, { customer: "ada" }, { idempotencyKey: "onboard:ada" }),
];
const again = await engine.trigger(onboard, { customer: "ada" }, { idempotencyKey: "onboard:ada" });
console.log(`triggered ${handles.length} runs on ${DB} (a second trigger with the same idempotency key returned the same run: ${again.id === handles.at(-1)!.id})\n`);

const tty = process.stdout.isTTY === true;
const bar = (p: number | null) => {
  const n = Math.round((p ?? 0) * 20);
  return `[${"#".repeat(n)}${".".repeat(20 - n)}]`;
};
let finished = false;
while (!finished) {
  const runs = await Promise.all(handles.map((h) => engine.runs.get(h.id)));
  finished = runs.every((r) => r !== null && ["completed", "failed", "canceled", "expired"].includes(r.status));
  const lines = runs.map(
    (r) => `  ${r!.taskId.padEnd(17)} ${r!.status.padEnd(9)} attempt ${r!.attempt}/${r!.maxAttempts} ${bar(r!.status === "completed" ? 1 : r!.progress)} ${r!.progressMessage ?? ""}`,
  );
  // On a terminal the table redraws in place; in a pipe only the final table is printed.
  if (tty) process.stdout.write(lines.join("\n") + "\n");
  else if (finished) console.log(lines.join("\n"));
  if (!finished) {
    await sleep(200);
    if (tty) process.stdout.write(`\x1b[${lines.length}A\x1b[J`);
  }
  if (Date.now() - t0 > 60_000) throw new Error("demo: runs did not finish within 60 s");
}

const stats = await engine.runs.stats();
const failed = (await engine.runs.list({ status: "failed" })).runs;
const workflow = await engine.runs.wait(handles.at(-1)!.id);
const steps = await engine.runs.steps(handles.at(-1)!.id);
console.log(`\nsummary after ${Date.now() - t0} ms:`);
console.log(`  runs by status: ${Object.entries(stats.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${s}=${n}`).join(", ")}`);
console.log(`  worker events: ${counts.completed} completed, ${counts.retrying} retries scheduled, ${counts.failed} failed`);
for (const f of failed) console.log(`  failed: ${f.taskId} — ${f.error?.name}: ${f.error?.message}`);
console.log(`  workflow output: ${JSON.stringify(workflow.ok ? workflow.output : workflow.error)}`);
console.log(`  workflow steps: ${steps.map((s) => `${s.key} (${s.status})`).join(", ")}`);
await engine.close();

// Every run but import-legacy completes, plus the workflow's child charge.
const expected = stats.byStatus.completed === handles.length && stats.byStatus.failed === 1;
if (!expected) {
  console.error("demo: unexpected outcome", stats.byStatus);
  process.exit(1);
}
