/**
 * PostgreSQL migration: events with idempotency keys, the runs an event started, and waitpoint tokens
 * (docs/CONTRACT.md §8). `:S` is the schema. Self-contained, so it can take whatever number comes next.
 */
export const EVENTS_TOKENS_MIGRATION = `
ALTER TABLE :S.events ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX events_idempotency ON :S.events (name, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE :S.run_events (
  run_id text COLLATE "C" PRIMARY KEY,
  event_id text NOT NULL,
  event_name text NOT NULL
);
CREATE INDEX run_events_event ON :S.run_events (event_id, run_id);

CREATE TABLE :S.tokens (
  id text COLLATE "C" PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  key text NOT NULL,
  status text NOT NULL,
  output text,
  created_at bigint NOT NULL,
  timeout_at bigint,
  finished_at bigint,
  UNIQUE (run_id, key)
);
`;
