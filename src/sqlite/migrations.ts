/**
 * Numbered schema migrations for the SQLite store. Append only: never edit a released migration.
 * `migrate()` applies the missing ones inside one BEGIN IMMEDIATE transaction, so several processes
 * starting at once apply each migration exactly once.
 */
import type { Migration } from "../store/types.ts";
import { EVENTS_TOKENS_MIGRATION } from "./migration-events-tokens.ts";
import { FLOW_CONTROL_MIGRATION } from "./migration-flow-control.ts";
import { RUNS_WITHOUT_ROWID_MIGRATION } from "./migration-without-rowid.ts";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runs, steps, waits, logs, events, queues, schedules",
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  concurrency_key TEXT,
  status TEXT NOT NULL,
  payload TEXT NOT NULL,
  output TEXT,
  error TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  attempt INTEGER NOT NULL DEFAULT 1,
  max_attempts INTEGER NOT NULL,
  idempotency_key TEXT,
  idempotency_expires_at INTEGER,
  expires_at INTEGER,
  tags TEXT NOT NULL DEFAULT '[]',
  parent_run_id TEXT,
  schedule_id TEXT,
  worker_id TEXT,
  lease_expires_at INTEGER,
  progress REAL,
  progress_message TEXT
);
CREATE INDEX runs_claim ON runs (priority DESC, run_at, id) WHERE status IN ('queued', 'delayed', 'waiting');
CREATE INDEX runs_lease ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_running_queue ON runs (queue, concurrency_key) WHERE status = 'running';
CREATE INDEX runs_expiry ON runs (expires_at) WHERE expires_at IS NOT NULL AND status IN ('queued', 'delayed');
CREATE UNIQUE INDEX runs_idempotency ON runs (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_status_id ON runs (status, id);
CREATE INDEX runs_task_id ON runs (task_id, id);
CREATE INDEX runs_parent ON runs (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE run_tags (
  tag TEXT NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (tag, run_id)
) WITHOUT ROWID;
CREATE INDEX run_tags_run ON run_tags (run_id);

CREATE TABLE steps (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  parent_key TEXT,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  error TEXT,
  attempts INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  child_run_id TEXT,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE waits (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  parent_key TEXT,
  kind TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  wake_at INTEGER,
  event_name TEXT,
  match TEXT,
  child_run_id TEXT,
  resolved_at INTEGER,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX waits_event ON waits (event_name, created_at) WHERE resolved_at IS NULL AND kind = 'event';
CREATE INDEX waits_child ON waits (child_run_id) WHERE resolved_at IS NULL AND kind = 'child';

CREATE TABLE logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT,
  at INTEGER NOT NULL,
  attempt INTEGER NOT NULL
);
CREATE UNIQUE INDEX logs_run_key ON logs (run_id, key);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_name ON events (name, created_at);

CREATE TABLE queues (
  name TEXT PRIMARY KEY,
  concurrency_limit INTEGER
);

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT,
  payload TEXT,
  source TEXT NOT NULL,
  next_fire_at INTEGER NOT NULL,
  last_fire_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: "lean hot path (partial indexes that a claim and a completion barely touch) and run counts",
    // A run goes queued -> running -> completed. Each index below is touched only where it must be:
    // - runs_running (takeover by lease, limit counts, listing running runs) holds running runs only;
    // - runs_status_rare holds the statuses a run is rarely in, so the hot path never touches it
    //   (queued, running and completed runs are listed through runs_claim, runs_running and the
    //   primary key, see queries.ts);
    // - runs_finished covers what metrics and prune read, without visiting the table.
    // run_counts keeps exact counts per status (per queue for queued and delayed) for stats(); the
    // store updates it in the same transaction as every status change; running runs are counted
    // from runs_running, a set bounded by the workers' concurrency.
    sql: `
DROP INDEX runs_status_id;
CREATE INDEX runs_status_rare ON runs (status, id) WHERE status IN ('delayed', 'waiting', 'failed', 'canceled', 'expired');
DROP INDEX runs_lease;
DROP INDEX runs_running_queue;
CREATE INDEX runs_running ON runs (lease_expires_at, queue, concurrency_key) WHERE status = 'running';
DROP INDEX runs_finished;
CREATE INDEX runs_finished ON runs (finished_at, status, started_at) WHERE finished_at IS NOT NULL;
CREATE TABLE run_counts (
  queue TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, status)
) WITHOUT ROWID;
INSERT INTO run_counts (queue, status, n)
  SELECT CASE WHEN status IN ('queued', 'delayed') THEN queue ELSE '' END, status, count(*)
  FROM runs WHERE status <> 'running' GROUP BY 1, 2;
`,
  },
  {
    version: 3,
    name: "events with idempotency keys, runs started by events, waitpoint tokens",
    sql: EVENTS_TOKENS_MIGRATION,
  },
  {
    version: 4,
    name: "flow control: queue rate limits, debounced runs",
    sql: FLOW_CONTROL_MIGRATION,
  },
  {
    version: 5,
    name: "runs keep the trace context they were triggered in (OpenTelemetry)",
    sql: `ALTER TABLE runs ADD COLUMN trace_context TEXT;`,
  },
  {
    version: 6,
    name: "a trigger writes one index fewer: the task index leaves out queued runs",
    // A queued run enters runs_task when it is first claimed (a claim marks many runs in one
    // transaction), not when it is triggered (often one run per transaction, where every index page
    // written costs about a fifth of the commit). listRuns reads a task's queued runs from the claim
    // index or the primary key instead (list.ts).
    sql: `
DROP INDEX runs_task_id;
CREATE INDEX runs_task ON runs (task_id, id) WHERE status <> 'queued';
`,
  },
  {
    version: 7,
    name: "a plain trigger writes no counter: run_counts marks up to which run it counts",
    // The marker row (status '') holds the rowid up to which runs are counted (n) and the id of the
    // run there (queue); runs after it are counted by the next write transaction, or by stats() in
    // its read (counts.ts). Every run is counted when this migration runs.
    sql: `
INSERT INTO run_counts (queue, status, n)
  SELECT coalesce((SELECT id FROM runs WHERE rowid = (SELECT max(rowid) FROM runs)), ''), '', coalesce((SELECT max(rowid) FROM runs), 0);
`,
  },
  {
    version: 8,
    name: "runs WITHOUT ROWID (no separate id index); the uncounted runs are those after the marked id",
    sql: RUNS_WITHOUT_ROWID_MIGRATION,
  },
];
