/**
 * PostgreSQL migration: flow control (docs/CONTRACT.md §7). Queue rate limits and the log of recent
 * claims they are counted from; the debounce key of a run (one pending run per task and key) and
 * the time a rate limit lets a held-back run start. `:S` = the quoted schema. Self-contained, so it
 * can take whatever number comes next in MIGRATIONS.
 */
export const FLOW_CONTROL_MIGRATION = `
ALTER TABLE :S.queues ADD COLUMN rate_limit integer, ADD COLUMN rate_period_ms bigint,
  ADD COLUMN rate_per_key boolean NOT NULL DEFAULT false;

-- One row per claim of a rate-limited queue's run; rows older than the queue's period are deleted
-- by the claims that read them (under the queue's row lock). key = '' unless the limit is per key.
CREATE TABLE :S.rate_starts (
  queue text NOT NULL,
  key text NOT NULL,
  started_at bigint NOT NULL
);
CREATE INDEX rate_starts_window ON :S.rate_starts (queue, key, started_at);

-- Nullable columns without defaults: adding them rewrites nothing.
ALTER TABLE :S.runs ADD COLUMN debounce_key text, ADD COLUMN debounce_until bigint, ADD COLUMN rate_limited_until bigint;
-- At most one pending (never started) run per task and debounce key.
CREATE UNIQUE INDEX runs_debounce ON :S.runs (task_id, debounce_key)
  WHERE debounce_key IS NOT NULL AND status IN ('queued', 'delayed') AND started_at IS NULL;
`;
