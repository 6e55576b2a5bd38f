/**
 * SQLite migration: events with idempotency keys, the runs an event started, and waitpoint tokens
 * (docs/CONTRACT.md §8). Self-contained, so it can take whatever number comes next in MIGRATIONS.
 */
export const EVENTS_TOKENS_MIGRATION = `
ALTER TABLE events ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX events_idempotency ON events (name, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE run_events (
  run_id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  event_name TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX run_events_event ON run_events (event_id, run_id);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  created_at INTEGER NOT NULL,
  timeout_at INTEGER,
  finished_at INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX tokens_run_key ON tokens (run_id, key);
`;
