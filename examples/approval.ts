/**
 * An approval flow: an event starts a task, the task asks a person for approval with a waitpoint
 * token and waits for it (its worker slot freed), the person answers through the token's callback
 * URL (the dashboard's token route, over HTTP), and the run resumes with the answer.
 *
 *   node --import tsx examples/approval.ts
 *
 * Everything runs in this one process (SQLite in a temp folder, a worker, the dashboard on a free
 * local port); in production the worker, the dashboard and whoever completes the token are usually
 * apart, and `url` is what you put in the email or the chat message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createEngine, defineEvent, defineTask } from "errand";
import { serveDashboard } from "errand/dashboard";
import { sqliteStore } from "errand/sqlite";

/** The event, typed by its schema: senders are checked, receivers get the parsed payload. */
const refundRequested = defineEvent({
  name: "refund.requested",
  schema: z.object({ refundId: z.string(), amount: z.number().positive(), customer: z.string() }),
});

type Answer = { approved: boolean; by: string; note?: string };

/** Small refunds are paid at once; larger ones wait for a manager, for two days at most. */
const refund = defineTask({
  id: "refund",
  on: refundRequested,
  run: async (p, ctx) => {
    if (p.amount <= 50) return { refundId: p.refundId, paid: true, by: "auto" };
    // Recorded like a step: a replay of this run gets the same token, never a new one.
    const token = await ctx.createToken<Answer>("manager-approval", { timeout: { days: 2 } });
    await ctx.step("ask-manager", () => askManager(p.refundId, p.amount, token.url ?? token.id));
    const answer = await ctx.waitForToken(token); // the run waits here, holding no worker slot
    if (!answer.ok) return { refundId: p.refundId, paid: false, by: "nobody (timed out)" };
    if (answer.output.approved) await ctx.step("pay", () => ({ paidAt: new Date().toISOString() }));
    return { refundId: p.refundId, paid: answer.output.approved, by: answer.output.by };
  },
});

/** Stands in for the email or chat message with the link; here the "manager" is a fetch below. */
const inbox: string[] = [];
function askManager(refundId: string, amount: number, link: string): string {
  console.log(`  asked a manager to approve refund ${refundId} (${amount}): POST ${link.replace(/wpt_[\w-]+/, "wpt_…")}`);
  inbox.push(link);
  return "asked";
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), "errand-approval-"));
const port = await freePort();
const engine = createEngine({
  store: sqliteStore({ path: join(dir, "errand.db") }),
  tasks: [refund],
  // Tokens carry `url` = <dashboardUrl>/api/tokens/<id>/complete.
  dashboardUrl: `http://127.0.0.1:${port}`,
});
const dashboard = await serveDashboard({ engine, port, token: "a-long-dashboard-token-for-the-demo" });
const worker = engine.worker({ pollIntervalMs: 50 });
await worker.start();
let ok = false;
try {
  console.log("sending two refund.requested events");
  const small = await engine.sendEvent(refundRequested, { refundId: "r-1", amount: 20, customer: "ada" });
  const large = await engine.sendEvent(refundRequested, { refundId: "r-2", amount: 480, customer: "grace" });
  console.log(`  r-1: ${JSON.stringify((await engine.runs.wait(small.runs[0]!, { timeoutMs: 10_000 })).unwrap())}`);

  const run = large.runs[0]!;
  while ((await engine.runs.get(run.id))?.status !== "waiting" || inbox.length === 0) await new Promise((r) => setTimeout(r, 50));
  console.log(`  r-2: ${(await engine.runs.get(run.id))!.status}, holding no worker slot`);

  // The manager clicks the link: a JSON body completes the token. No dashboard login: the token's
  // unguessable id is the credential. A second answer is refused; the first one counts.
  const first = await fetch(inbox[0]!, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ approved: true, by: "grace's manager" }) });
  console.log(`  the manager answered: ${first.status} ${await first.text()}`);
  const again = await fetch(inbox[0]!, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ approved: false, by: "someone else" }) });
  console.log(`  a second answer: ${again.status} ${await again.text()}`);

  const result = (await engine.runs.wait(run, { timeoutMs: 10_000 })).unwrap();
  console.log(`  r-2: ${JSON.stringify(result)}`);
  ok = (result as { paid: boolean }).paid && first.status === 200 && again.status === 409;
} finally {
  await worker.stop();
  await dashboard.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(ok ? "approval flow: ok" : "approval flow: FAILED");
process.exit(ok ? 0 : 1);
