/** `errand runs` (list), `errand runs show|cancel|replay <id>`. */
import type { Command } from "commander";
import type { Engine, RunView } from "../../engine/types.ts";
import { RUN_STATUSES, type RunStatus } from "../../store/types.ts";
import { CliError } from "../errors.ts";
import { runDetail, runsTable } from "../format-run.ts";
import type { Session } from "../session.ts";

interface ListOpts {
  readonly status?: string;
  readonly task?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

export function registerRunsCommands(program: Command, session: Session): void {
  const runs = program
    .command("runs")
    .description("List runs, newest first (subcommands: show, cancel, replay).")
    .option("-s, --status <list>", `only these statuses, comma-separated (${RUN_STATUSES.join(", ")})`)
    .option("-t, --task <id>", "only runs of this task")
    .option("-n, --limit <n>", "at most this many runs (1–1000)", "20")
    .option("--json", "print JSON")
    .action(async (opts: ListOpts) => {
      const status = opts.status !== undefined ? parseStatuses(opts.status) : undefined;
      const limit = Number(opts.limit ?? "20");
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`--limit must be an integer from 1 to 1000, got "${opts.limit}"`);
      await session.withEngine(async (engine) => {
        if (opts.task !== undefined && !engine.tasks.has(opts.task)) {
          session.out.err(`note: no task "${opts.task}" in this config (known: ${[...engine.tasks.keys()].join(", ") || "none"}); listing stored runs anyway`);
        }
        const page = await engine.runs.list({ limit, ...(status !== undefined ? { status } : {}), ...(opts.task !== undefined ? { taskId: opts.task } : {}) });
        if (opts.json === true) return session.out.json(page.runs);
        if (page.runs.length === 0) return session.out.line("no runs");
        session.out.line(runsTable(page.runs, session.out));
        if (page.nextCursor !== null) session.out.line(session.out.color.dim(`(more: raise --limit)`));
      });
    });

  runs
    .command("show <id>")
    .description("Show one run: payload, output or error, steps as a timeline, logs. A unique id prefix is enough.")
    .option("--json", "print JSON { run, steps, logs, tokens }")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      await session.withEngine(async (engine) => {
        const run = await findRun(engine, id);
        const [steps, logs, tokens] = await Promise.all([engine.runs.steps(run.id), engine.runs.logs(run.id), engine.tokens.list({ runId: run.id })]);
        if (json) session.out.json({ run, steps, logs, tokens });
        else session.out.line(runDetail(run, steps, logs, session.out, tokens));
      });
    });

  runs
    .command("cancel <id>")
    .description("Cancel a run that has not finished (and its unfinished children); a running one is aborted.")
    .option("--json", "print JSON { id, canceled }")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      await session.withEngine(async (engine) => {
        const run = await findRun(engine, id);
        const canceled = await engine.runs.cancel(run.id);
        if (json) session.out.json({ id: run.id, canceled });
        else if (canceled) session.out.line(`canceled ${run.id}`);
        else throw new CliError(`run ${run.id} was not canceled: it is already ${run.status}`);
      });
    });

  runs
    .command("replay <id>")
    .description("Run a task again with the same payload, as a new run.")
    .option("--json", "print JSON (the new run's handle)")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      await session.withEngine(async (engine) => {
        const run = await findRun(engine, id);
        const handle = await engine.runs.replay(run.id);
        if (json) session.out.json(handle);
        else session.out.line(`replayed ${run.id} as ${handle.id}`);
      });
    });
}

function parseStatuses(text: string): RunStatus[] {
  const list = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of list) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new CliError(`unknown status "${s}" in --status (known: ${RUN_STATUSES.join(", ")})`);
  }
  if (list.length === 0) throw new CliError("--status needs at least one status");
  return list as RunStatus[];
}

/** A run by id or by a unique id prefix. */
async function findRun(engine: Engine, id: string): Promise<RunView> {
  const exact = await engine.runs.get(id);
  if (exact !== null) return exact;
  const { runs } = await engine.runs.list({ idPrefix: id, limit: 2 });
  if (runs.length === 1) return runs[0]!;
  if (runs.length > 1) throw new CliError(`run id prefix "${id}" matches several runs; give more characters`);
  throw new CliError(`no run with id "${id}" in ${engine.store.name}`);
}
