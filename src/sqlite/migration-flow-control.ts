/**
 * SQLite migration: flow control (docs/CONTRACT.md §7). Queue rate limits and the log of recent
 * claims they are counted from; the debounce key of a run (one pending run per task and key) and
 * the time a rate limit lets a held-back run start. Self-contained, so it can take whatever number
 * comes next in MIGRATIONS.
 */
export const FLOW_CONTROL_MIGRATION = `
ALTER TABLE queues ADD COLUMN rate_limit INTEGER;
ALTER TABLE queues ADD COLUMN rate_period_ms INTEGER;
ALTER TABLE queues ADD COLUMN rate_per_key INTEGER NOT NULL DEFAULT 0;

-- One row per claim of a rate-limited queue's run; rows older than the queue's period are deleted
-- by the claims that read them. key = '' unless the limit holds per concurrency key.
CREATE TABLE rate_starts (
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE INDEX rate_starts_window ON rate_starts (queue, key, started_at);

ALTER TABLE runs ADD COLUMN debounce_key TEXT;
ALTER TABLE runs ADD COLUMN debounce_until INTEGER;
ALTER TABLE runs ADD COLUMN rate_limited_until INTEGER;
-- At most one pending (never started) run per task and debounce key.
CREATE UNIQUE INDEX runs_debounce ON runs (task_id, debounce_key)
  WHERE debounce_key IS NOT NULL AND status IN ('queued', 'delayed') AND started_at IS NULL;
`;
