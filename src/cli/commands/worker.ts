/** `errand worker`: runs queued work and schedules until SIGINT/SIGTERM, then stops gracefully. */
import type { Command } from "commander";
import { MultiBar, type SingleBar } from "cli-progress";
import type { Engine, RunInfo, Worker, WorkerOptions } from "../../engine/types.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { CliError } from "../errors.ts";
import { errorText } from "../format-run.ts";
import { timeText } from "../output.ts";
import { untilSignal, type Session } from "../session.ts";

interface Opts {
  readonly concurrency?: string;
  readonly queues?: string;
  readonly tasks?: string;
  readonly poll?: string;
  readonly grace?: string;
}

function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be an integer >= 1, got "${text}"`);
  return n;
}

export function registerWorkerCommand(program: Command, session: Session): void {
  program
    .command("worker")
    .description("Run queued runs and cron schedules until stopped (Ctrl-C / SIGTERM stop gracefully: in-flight runs finish first).")
    .option("-c, --concurrency <n>", "runs executed at once", "10")
    .option("-q, --queues <a,b>", "only these queues (comma-separated)")
    .option("-t, --tasks <a,b>", "only runs of these task ids (comma-separated; each registered in the config)")
    .option("--poll <duration>", "polling interval for work from other processes", "1s")
    .option("--grace <duration>", "on stop, how long in-flight runs may take before they are handed back", "30s")
    .action(async (opts: Opts) => {
      const options: WorkerOptions = {
        concurrency: positiveInt(opts.concurrency ?? "10", "--concurrency"),
        pollIntervalMs: Math.max(1, parseDuration(opts.poll ?? "1s", "--poll")),
        gracefulStopMs: parseDuration(opts.grace ?? "30s", "--grace"),
        ...(opts.queues !== undefined ? { queues: parseList(opts.queues, "--queues", "queue names") } : {}),
        ...(opts.tasks !== undefined ? { tasks: parseList(opts.tasks, "--tasks", "task ids") } : {}),
      };
      await session.withEngine(async (engine) => {
        const out = session.out;
        const worker = workerOf(engine, options);
        const counts = { running: 0, completed: 0, failed: 0, retrying: 0, waiting: 0, canceled: 0 };
        const live = createLiveLine(counts);
        const log = (text: string) => (live !== null ? live.log(text) : out.line(text));
        const stamp = () => out.color.dim(timeText(new Date()));
        const name = (r: RunInfo) => `${r.taskId} ${out.color.dim(r.id)}`;
        worker.on("run:started", () => void counts.running++);
        worker.on("run:completed", ({ run, durationMs }) => {
          counts.running--;
          counts.completed++;
          log(`${stamp()} ${out.color.green("completed")} ${name(run)} ${formatDuration(durationMs)}`);
        });
        worker.on("run:failed", ({ run, error }) => {
          counts.running--;
          counts.failed++;
          log(`${stamp()} ${out.color.red("failed")}    ${name(run)} ${errorText(error)}`);
        });
        worker.on("run:retrying", ({ run, error, retryAt }) => {
          counts.running--;
          counts.retrying++;
          log(`${stamp()} ${out.color.yellow("retrying")}  ${name(run)} at ${timeText(retryAt)}: ${errorText(error)}`);
        });
        worker.on("run:waiting", ({ run }) => {
          counts.running--;
          counts.waiting++;
          log(`${stamp()} ${out.color.yellow("waiting")}   ${name(run)}`);
        });
        worker.on("run:canceled", ({ run }) => {
          counts.running--;
          counts.canceled++;
          log(`${stamp()} ${out.color.gray("canceled")}  ${name(run)}`);
        });
        worker.on("worker:error", ({ error }) => out.err(`errand worker: ${error instanceof Error ? error.message : String(error)}`));

        const stopping = untilSignal((signal) => out.err(`errand worker: ${signal}: stopping (${counts.running} in flight finish first; again to exit now)`));
        await worker.start();
        out.line(
          `errand worker: started ${worker.id} on ${engine.store.name} (concurrency ${options.concurrency}, queues ${options.queues?.join(",") ?? "all"}, ${options.tasks?.length ?? engine.tasks.size} tasks)`,
        );
        live?.start();
        await stopping;
        await worker.stop();
        live?.stop();
        out.line(`errand worker: stopped (${counts.completed} completed, ${counts.failed} failed, ${counts.retrying} retried, ${counts.waiting} waiting)`);
      });
    });
}

function parseList(text: string, option: string, what: string): string[] {
  const items = text.split(",").map((q) => q.trim()).filter((q) => q !== "");
  if (items.length === 0) throw new CliError(`${option} must list ${what} separated by commas, got "${text}"`);
  return items;
}

/** The worker; a task id in --tasks that the config does not register is a usage error naming it. */
function workerOf(engine: Engine, options: WorkerOptions): Worker {
  try {
    return engine.worker(options);
  } catch (error) {
    if (error instanceof TypeError && options.tasks !== undefined) {
      const unknown = options.tasks.filter((t) => typeof t === "string" && !engine.tasks.has(t));
      if (unknown.length > 0) throw new CliError(`--tasks: ${unknown.map((t) => `"${String(t)}"`).join(", ")} not registered in the config (tasks: ${[...engine.tasks.keys()].join(", ")})`);
    }
    throw error;
  }
}

/** On a TTY: a live counters line (redrawn by cli-progress) with event lines printed above it. */
function createLiveLine(counts: Record<string, number>): { start(): void; stop(): void; log(text: string): void } | null {
  if (process.stderr.isTTY !== true) return null;
  const multi = new MultiBar(
    { format: " {running} running | {completed} completed | {failed} failed | {retrying} retrying | {waiting} waiting", hideCursor: true, clearOnComplete: true, stream: process.stderr },
  );
  let bar: SingleBar | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  return {
    start() {
      bar = multi.create(1, 0, counts);
      timer = setInterval(() => bar?.update(0, counts), 250);
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      multi.stop();
    },
    log(text) {
      multi.log(text + "\n");
    },
  };
}
