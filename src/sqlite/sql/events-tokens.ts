/** SQL of events that start runs and of waitpoint tokens (src/sqlite/events-tokens.ts). */

export const INSERT_EVENT_IF_KEY_FREE = `
INSERT INTO events (id, name, payload, created_at, idempotency_key) VALUES (@id, @name, @payload, @now, @key)
ON CONFLICT (name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;

export const EVENT_BY_KEY = `SELECT id FROM events WHERE name = @name AND idempotency_key = @key`;

export const LINK_EVENT_RUNS = `
INSERT INTO run_events (run_id, event_id, event_name) SELECT value, @event_id, @event_name FROM json_each(@ids)`;

export const RUNS_OF_EVENT = `
SELECT runs.* FROM run_events JOIN runs ON runs.id = run_events.run_id WHERE run_events.event_id = @event_id ORDER BY run_events.run_id`;

export const RUN_EVENTS = `
SELECT run_id, event_id, event_name FROM run_events WHERE run_id IN (SELECT value FROM json_each(@ids))`;

export const INSERT_TOKEN = `
INSERT INTO tokens (id, run_id, key, status, output, created_at, timeout_at, finished_at)
VALUES (@id, @run_id, @key, 'waiting', NULL, @created_at, @timeout_at, NULL)`;

export const TOKEN_BY_ID = `SELECT * FROM tokens WHERE id = @id`;

export const TOKEN_BY_KEY = `SELECT * FROM tokens WHERE run_id = @run_id AND key = @key`;

export const TOKENS_OF_RUN = `SELECT * FROM tokens WHERE run_id = @run_id ORDER BY created_at, key`;

export const FINISH_TOKEN = `
UPDATE tokens SET status = @status, output = @output, finished_at = @now WHERE id = @id AND status = 'waiting'`;

export const RUN_STATUS = `SELECT status FROM runs WHERE id = @id`;

export const OPEN_TOKEN_WAITS = `
SELECT * FROM waits WHERE run_id = @run_id AND parent_key = @key AND kind = 'token' AND resolved_at IS NULL`;
