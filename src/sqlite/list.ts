/**
 * `listRuns` on SQLite: newest first by id, keyset pages. Each filter reads an index in id order and
 * stops after a page. Status filters need care because the status index leaves out the hot statuses
 * (queued, running, completed) so that claims and completions never touch it:
 * - running runs come from runs_running (a set bounded by the workers' concurrency), sorted;
 * - delayed, waiting, failed, canceled and expired runs from runs_status_rare, in order — also with a
 *   task or parent filter while the status has at most SMALL runs (the counts say so);
 * - queued runs by walking the primary key newest first, unless they are few (the counts say
 *   so), then from the claim index, sorted;
 * - completed runs by walking the primary key (completed is what a table with history is made of).
 * The task index (runs_task) leaves out queued runs, so that a trigger does not write it: a task's
 * other runs come from it, its queued runs as above, the two merged.
 */
import { RUN_STATUSES, type ListRunsParams, type RunStatus } from "../store/types.ts";
import { pageLimit, toPage } from "../store/rules/reads.ts";
import type { Sql } from "./driver.ts";
import { RUN_COLUMNS, runFromValues } from "./rows.ts";
import { IN_CLAIM_INDEX, IN_RARE_INDEX } from "./sql/runs.ts";

const RARE: ReadonlySet<RunStatus> = new Set(["delayed", "waiting", "failed", "canceled", "expired"]);

/** The condition of the partial index runs_task, stated so that SQLite may use that index. */
const NOT_QUEUED = "runs.status <> 'queued'";

/** A status with at most this many runs is read from its own index even when other filters narrow the list. */
const SMALL = 20_000;

/** Runs per status, from the store's counts (running runs are not needed here; the few uncounted runs of counts.ts neither). */
function counts(sql: Sql): { of(status: RunStatus): number; total: number } {
  const by = new Map<string, number>();
  let total = 0;
  for (const row of sql.all<{ status: string; n: number }>("SELECT status, sum(n) AS n FROM run_counts WHERE status <> '' GROUP BY status")) {
    by.set(row.status, row.n);
    total += row.n;
  }
  return { of: (status) => by.get(status) ?? 0, total };
}

export function listRuns(sql: Sql, p: ListRunsParams) {
  const limit = pageLimit(p);
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: limit + 1 };
  let from = "runs";
  let idCol = "runs.id";
  if (p.tag !== undefined) {
    from = "run_tags t CROSS JOIN runs ON runs.id = t.run_id"; // CROSS JOIN: walk the tag's index, never sort
    idCol = "t.run_id";
    where.push("t.tag = @tag");
    params["tag"] = p.tag;
  }
  if (p.taskId !== undefined) {
    where.push("runs.task_id = @task_id");
    params["task_id"] = p.taskId;
  }
  if (p.queue !== undefined) {
    where.push("runs.queue = @queue");
    params["queue"] = p.queue;
  }
  if (p.parentRunId !== undefined) {
    where.push("runs.parent_run_id = @parent");
    params["parent"] = p.parentRunId;
  }
  if (p.idPrefix !== undefined && p.idPrefix !== "") {
    where.push("runs.id >= @prefix AND runs.id < @prefix_end");
    params["prefix"] = p.idPrefix;
    params["prefix_end"] = `${p.idPrefix}\uffff`;
  }
  if (p.cursor !== undefined && p.cursor !== null) {
    where.push(`${idCol} < @cursor`);
    params["cursor"] = p.cursor;
  }
  const narrowed = p.tag !== undefined || p.taskId !== undefined || p.parentRunId !== undefined;
  /** Filtered by task (not by tag): the task's runs other than queued ones are in runs_task. */
  const byTask = p.taskId !== undefined && p.tag === undefined;
  let known: ReturnType<typeof counts> | null = null;
  const count = (status: RunStatus) => (known ??= counts(sql)).of(status);
  /** Where the rows of one status come from; statuses are literals (known names only) so SQLite can use the partial indexes. */
  const source = (status: RunStatus | undefined): { from: string; conds: string[] } => {
    if (status === undefined) return { from, conds: byTask ? [...where, NOT_QUEUED] : where };
    const conds = [...where, `runs.status = '${status}'`];
    if (p.tag !== undefined) return { from, conds };
    if (status === "running") return { from: "runs INDEXED BY runs_running", conds };
    if (RARE.has(status) && (!narrowed || count(status) <= SMALL)) {
      return { from: "runs INDEXED BY runs_status_rare", conds: [...conds, IN_RARE_INDEX] };
    }
    if (status === "queued") {
      // A walk reads about page × total / queued rows; the sort reads every queued run.
      const queued = count("queued");
      if (narrowed ? queued <= SMALL : queued * queued < 50 * known!.total) {
        return { from: "runs INDEXED BY runs_claim", conds: [...conds, IN_CLAIM_INDEX] };
      }
    }
    return { from, conds: byTask && status !== "queued" ? [...conds, NOT_QUEUED] : conds };
  };
  const select = (status: RunStatus | undefined) => {
    const s = source(status);
    return `SELECT ${RUN_COLUMNS} FROM ${s.from}${s.conds.length ? ` WHERE ${s.conds.join(" AND ")}` : ""} ORDER BY ${idCol} DESC LIMIT @limit`;
  };
  const asked = p.status === undefined ? undefined : [...new Set(p.status)];
  const statuses = asked?.filter((st) => (RUN_STATUSES as readonly string[]).includes(st));
  if (statuses !== undefined && statuses.length === 0) return { runs: [], nextCursor: null };
  // One status (or none): one search. Several: one search per status, merged. A task's runs in
  // any status: those in runs_task and the queued ones, merged.
  const merge = (parts: string[]) => `${parts.map((part) => `SELECT * FROM (${part})`).join(" UNION ALL ")} ORDER BY id DESC LIMIT @limit`;
  const text =
    statuses === undefined
      ? byTask
        ? merge([select(undefined), select("queued")])
        : select(undefined)
      : statuses.length === 1
        ? select(statuses[0])
        : merge(statuses.map((st) => select(st)));
  return toPage(sql.rows(text, params), limit, runFromValues);
}
