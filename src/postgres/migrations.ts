/**
 * Numbered migrations of the PostgreSQL store; `:S` stands for the quoted schema name. Applied in one
 * transaction holding a transaction-level advisory lock, so processes starting together apply each
 * migration once and all wait for it.
 */
import type { Migration } from "../store/types.ts";
import { COUNTERS_MIGRATION } from "./counts.ts";
import { EVENTS_TOKENS_MIGRATION } from "./migration-events-tokens.ts";
import { FLOW_CONTROL_MIGRATION } from "./migration-flow-control.ts";
import { HISTORY_MIGRATION } from "./history.ts";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runs, steps, waits, logs, events, queues, schedules",
    sql: `
CREATE TABLE :S.runs (
  id text PRIMARY KEY,
  task_id text NOT NULL,
  queue text NOT NULL,
  concurrency_key text,
  status text NOT NULL,
  payload text NOT NULL,
  output text,
  error text,
  priority integer NOT NULL DEFAULT 0,
  run_at bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  attempt integer NOT NULL DEFAULT 1,
  max_attempts integer NOT NULL,
  idempotency_key text,
  idempotency_expires_at bigint,
  expires_at bigint,
  tags text[] NOT NULL DEFAULT '{}',
  parent_run_id text,
  schedule_id text,
  worker_id text,
  lease_expires_at bigint,
  progress double precision,
  progress_message text
);
CREATE INDEX runs_claim ON :S.runs (priority DESC, run_at, id) WHERE status IN ('queued', 'delayed', 'waiting');
CREATE INDEX runs_lease ON :S.runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_running_queue ON :S.runs (queue, concurrency_key) WHERE status = 'running';
CREATE INDEX runs_expiry ON :S.runs (expires_at) WHERE expires_at IS NOT NULL AND status IN ('queued', 'delayed');
CREATE UNIQUE INDEX runs_idempotency ON :S.runs (task_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_status_id ON :S.runs (status, id);
CREATE INDEX runs_task_id ON :S.runs (task_id, id);
CREATE INDEX runs_parent ON :S.runs (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_finished ON :S.runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX runs_tags ON :S.runs USING gin (tags);

CREATE TABLE :S.steps (
  run_id text NOT NULL,
  key text NOT NULL,
  parent_key text,
  kind text NOT NULL,
  status text NOT NULL,
  output text,
  error text,
  attempts integer NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint,
  child_run_id text,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE :S.waits (
  run_id text NOT NULL,
  key text NOT NULL,
  parent_key text,
  kind text NOT NULL,
  created_at bigint NOT NULL,
  wake_at bigint,
  event_name text,
  match text,
  child_run_id text,
  resolved_at bigint,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX waits_event ON :S.waits (event_name, created_at) WHERE resolved_at IS NULL AND kind = 'event';
CREATE INDEX waits_child ON :S.waits (child_run_id) WHERE resolved_at IS NULL AND kind = 'child';

CREATE TABLE :S.logs (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL,
  key text NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  data text,
  at bigint NOT NULL,
  attempt integer NOT NULL,
  UNIQUE (run_id, key)
);

CREATE TABLE :S.events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text NOT NULL,
  payload text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX events_name ON :S.events (name, created_at);

CREATE TABLE :S.queues (
  name text PRIMARY KEY,
  concurrency_limit integer
);

CREATE TABLE :S.schedules (
  id text PRIMARY KEY,
  task_id text NOT NULL,
  cron text NOT NULL,
  timezone text,
  payload text,
  source text NOT NULL,
  next_fire_at bigint NOT NULL,
  last_fire_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: "lean runs indexes: a status change adds two or three index entries instead of six",
    // Every claim and completion rewrites the row (a status change is never a HOT update, because the
    // partial indexes name `status`), so it adds an entry to every index whose predicate the new
    // row version matches. Version 1 had 11 indexes on runs, six of them hit on every change. Now a
    // queued row lands in the primary key, runs_claim and runs_task_id; a claimed one in the primary
    // key and runs_running; a completed one in the primary key, runs_task_id and runs_finished. The
    // others cover only rows that have tags, a parent, an idempotency key, a ttl or an unsuccessful
    // end. On an existing database the migration rebuilds the runs indexes while holding the table's
    // lock.
    sql: `
DROP INDEX :S.runs_status_id;
DROP INDEX :S.runs_lease;
DROP INDEX :S.runs_running_queue;
DROP INDEX :S.runs_tags;
DROP INDEX :S.runs_task_id;
-- Ids and task ids compare byte by byte (they are ASCII; the order is the same as before): with
-- the database's default collation every comparison in the runs indexes went through strcoll.
ALTER TABLE :S.runs ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN task_id TYPE text COLLATE "C";
CREATE INDEX runs_running ON :S.runs (lease_expires_at) WHERE status = 'running';
-- The dashboard's task filter; running runs are found through runs_running, so a claim adds nothing here.
CREATE INDEX runs_task_id ON :S.runs (task_id, id) WHERE status <> 'running';
CREATE INDEX runs_unsuccessful ON :S.runs (status, id) WHERE status IN ('failed', 'canceled', 'expired');
CREATE INDEX runs_tags ON :S.runs USING gin (tags) WHERE tags <> '{}';
-- Room on each page for the next version of a row: updates stay on the row's page.
ALTER TABLE :S.runs SET (fillfactor = 70);
`,
  },
  {
    version: 3,
    name: "run counters (per queue and status) and finished runs per minute, for stats() and metrics()",
    sql: COUNTERS_MIGRATION,
  },
  {
    version: 4,
    name: "events with idempotency keys, runs started by events, waitpoint tokens",
    sql: EVENTS_TOKENS_MIGRATION,
  },
  {
    version: 5,
    name: "flow control: queue rate limits, debounced runs",
    sql: FLOW_CONTROL_MIGRATION,
  },
  {
    version: 6,
    name: "runs keep the trace context they were triggered in (OpenTelemetry)",
    sql: `ALTER TABLE :S.runs ADD COLUMN trace_context text;`,
  },
  {
    version: 7,
    // A finished run leaves runs for runs_done (src/postgres/history.ts): a completion is a delete
    // plus an append instead of a new row version with new index entries in runs. From here on, a
    // migration that adds a column to runs adds it to runs_done too, and to RUN_COLUMN_NAMES.
    name: "finished runs move to a history table (runs_done); idempotency keys in run_keys",
    sql: HISTORY_MIGRATION,
  },
  {
    version: 8,
    name: "runs pages keep half their room for the claim's new row versions (fillfactor 50)",
    sql: `ALTER TABLE :S.runs SET (fillfactor = 50);`,
  },
];
