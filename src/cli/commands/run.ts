/** `errand run <task>` (execute here, now) and `errand trigger <task> [--wait]` (enqueue). */
import type { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import type { Engine, TaskResult, TriggerOptions } from "../../engine/types.ts";
import { FINISHED_STATUSES } from "../../store/types.ts";
import { findTask } from "../config.ts";
import { parseDuration } from "../duration.ts";
import { CliError } from "../errors.ts";
import { errorText, logLine } from "../format-run.ts";
import { payloadFrom } from "../payload.ts";
import type { Session } from "../session.ts";

const PAYLOAD_HELP = `
Payload: --payload '<json>', or fields as --key value pairs (values that parse as JSON are JSON,
the rest strings; dotted keys nest: --user.id 7 gives {"user":{"id":7}}).`;

interface RunOpts {
  readonly payload?: string;
  readonly json?: boolean;
}

interface TriggerOpts extends RunOpts {
  readonly wait?: boolean;
  readonly timeout?: string;
  readonly idempotencyKey?: string;
  readonly delay?: string;
  readonly priority?: string;
  readonly tags?: string;
  readonly queue?: string;
  readonly concurrencyKey?: string;
  readonly ttl?: string;
  readonly maxAttempts?: string;
}

export function registerRunCommands(program: Command, session: Session): void {
  program
    .command("run <task>")
    .summary("execute a task now, in this terminal")
    .description("Execute a task now, in this terminal (recorded like any run), print its logs and its output JSON.")
    .option("--payload <json>", "payload as JSON")
    .option("--json", "print the whole result { ok, id, output | error } as JSON")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", PAYLOAD_HELP + "\n\nExample:\n  errand run send-welcome --userId u1")
    .action(async (taskId: string, opts: RunOpts, cmd: Command) => {
      const payload = payloadFrom(opts.payload, cmd.args.slice(1));
      await session.withEngine(async (engine) => {
        const task = findTask(engine, taskId);
        const result = await engine.execute(task, payload as never);
        await printLogs(engine, result.id, session);
        report(result, opts.json === true, session);
      });
    });

  program
    .command("trigger <task>")
    .summary("enqueue a run for the workers")
    .description("Enqueue a run of a task for the workers; with --wait, follow it (progress bar) and print its output.")
    .option("--payload <json>", "payload as JSON")
    .option("--wait", "wait for the run to finish, showing its progress")
    .option("--timeout <duration>", "with --wait: give up after this long (e.g. 30s, 5m)")
    .option("--idempotency-key <key>", "a second trigger with this key returns the first run")
    .option("--delay <duration>", "start no earlier than this from now (e.g. 10s, 2h)")
    .option("--priority <n>", "higher runs first")
    .option("--tags <a,b>", "comma-separated tags")
    .option("--queue <name>", "override the task's queue")
    .option("--concurrency-key <key>", "the queue's concurrency limit applies per value of this key (e.g. a tenant)")
    .option("--ttl <duration>", "expire the run if it has not started within this long")
    .option("--max-attempts <n>", "override the task's retry.maxAttempts")
    .option("--json", "print JSON (the handle, or with --wait the result)")
    .option("--no-progress", "with --wait: no progress bar")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", PAYLOAD_HELP + "\n\nExample:\n  errand trigger import-csv --file data.csv --wait")
    .action(async (taskId: string, opts: TriggerOpts & { progress?: boolean }, cmd: Command) => {
      const payload = payloadFrom(opts.payload, cmd.args.slice(1));
      const options = triggerOptions(opts);
      const timeoutMs = opts.timeout !== undefined ? parseDuration(opts.timeout, "--timeout") : undefined;
      await session.withEngine(async (engine) => {
        const task = findTask(engine, taskId);
        const handle = await engine.trigger(task, payload as never, options);
        if (opts.wait !== true) {
          if (opts.json === true) session.out.json(handle);
          else session.out.line(`${handle.created ? "triggered" : "already exists (idempotency key)"}: ${handle.id}`);
          return;
        }
        if (opts.json !== true) session.out.err(`${handle.created ? "triggered" : "found existing run"} ${handle.id}; waiting for a worker to run it (errand worker)`);
        await follow(engine, handle.id, session, opts.progress !== false && opts.json !== true, timeoutMs);
        const result = await engine.runs.wait(handle.id, { timeoutMs: 10_000 });
        if (opts.json !== true) await printLogs(engine, handle.id, session);
        report(result, opts.json === true, session);
      });
    });
}

function triggerOptions(opts: TriggerOpts): TriggerOptions {
  const o: { -readonly [K in keyof TriggerOptions]: TriggerOptions[K] } = {};
  if (opts.idempotencyKey !== undefined) o.idempotencyKey = opts.idempotencyKey;
  if (opts.delay !== undefined) o.delayMs = parseDuration(opts.delay, "--delay");
  if (opts.priority !== undefined) {
    const p = Number(opts.priority);
    if (!Number.isInteger(p)) throw new CliError(`--priority must be an integer, got "${opts.priority}"`);
    o.priority = p;
  }
  if (opts.tags !== undefined) o.tags = opts.tags.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (opts.queue !== undefined) o.queue = opts.queue;
  if (opts.concurrencyKey !== undefined) o.concurrencyKey = opts.concurrencyKey;
  if (opts.ttl !== undefined) o.ttlMs = parseDuration(opts.ttl, "--ttl");
  if (opts.maxAttempts !== undefined) {
    const n = Number(opts.maxAttempts);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--max-attempts must be an integer >= 1, got "${opts.maxAttempts}"`);
    o.maxAttempts = n;
  }
  return o;
}

/** Polls the run until it is finished, feeding a progress bar (TTY) or progress lines (pipes). */
async function follow(engine: Engine, id: string, session: Session, showProgress: boolean, timeoutMs: number | undefined): Promise<void> {
  const tty = process.stderr.isTTY === true;
  const bar = showProgress && tty ? new SingleBar({ format: " {bar} {percentage}% | {status} {message}", hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic) : null;
  bar?.start(100, 0, { status: "queued", message: "" });
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let last = "";
  try {
    for (;;) {
      const run = await engine.runs.get(id);
      if (run === null) throw new CliError(`run ${id} disappeared (pruned or deleted)`);
      const pct = Math.round((run.progress ?? (run.status === "completed" ? 1 : 0)) * 100);
      const message = run.progressMessage ?? "";
      if (bar !== null) bar.update(run.status === "completed" ? 100 : pct, { status: run.status, message });
      else if (showProgress) {
        const text = `${run.status} ${pct}%${message !== "" ? ` ${message}` : ""}`;
        if (text !== last) session.out.err(text);
        last = text;
      }
      if (FINISHED_STATUSES.includes(run.status)) return;
      if (Date.now() > deadline) throw new CliError(`run ${id} did not finish within ${timeoutMs} ms (it is ${run.status}; it keeps going)`);
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    bar?.stop();
  }
}

async function printLogs(engine: Engine, id: string, session: Session): Promise<void> {
  for (const l of await engine.runs.logs(id)) session.out.err(logLine(l, session.out));
}

function report(result: TaskResult<unknown>, json: boolean, session: Session): void {
  if (json) {
    session.out.json(result.ok ? { ok: true, id: result.id, output: result.output } : { ok: false, id: result.id, error: result.error });
    if (!result.ok) process.exitCode = 1;
    return;
  }
  if (result.ok) session.out.json(result.output ?? null);
  else throw new CliError(`run ${result.id} failed: ${errorText(result.error)}`);
}
