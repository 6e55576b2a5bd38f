/** SQL of events that start runs and of waitpoint tokens (src/postgres/events-tokens.ts); `:S` is the schema. */
import { ALL_RUNS } from "./history.ts";

export const INSERT_EVENT_IF_KEY_FREE = `
INSERT INTO :S.events (id, name, payload, created_at, idempotency_key) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;

export const EVENT_BY_KEY = `SELECT id FROM :S.events WHERE name = $1 AND idempotency_key = $2`;

export const LINK_EVENT_RUNS = `
INSERT INTO :S.run_events (run_id, event_id, event_name) SELECT unnest($1::text[]), $2, $3`;

export const RUNS_OF_EVENT = `
SELECT r.* FROM :S.run_events e JOIN ${ALL_RUNS} r ON r.id = e.run_id WHERE e.event_id = $1 ORDER BY e.run_id`;

export const RUN_EVENTS = `SELECT run_id, event_id, event_name FROM :S.run_events WHERE run_id = ANY($1)`;

export const INSERT_TOKEN = `
INSERT INTO :S.tokens (id, run_id, key, status, output, created_at, timeout_at, finished_at)
VALUES ($1, $2, $3, 'waiting', NULL, $4, $5, NULL)`;

export const TOKEN_BY_ID = `SELECT * FROM :S.tokens WHERE id = $1`;

export const TOKEN_BY_ID_LOCKED = `SELECT * FROM :S.tokens WHERE id = $1 FOR UPDATE`;

export const TOKEN_BY_KEY_LOCKED = `SELECT * FROM :S.tokens WHERE run_id = $1 AND key = $2 FOR UPDATE`;

export const TOKENS_OF_RUN = `SELECT * FROM :S.tokens WHERE run_id = $1 ORDER BY created_at, key`;

export const FINISH_TOKEN = `
UPDATE :S.tokens SET status = $2, output = $3, finished_at = $4 WHERE id = $1 AND status = 'waiting'`;

export const LOCK_RUN_STATUS = `SELECT status FROM :S.runs WHERE id = $1 FOR UPDATE`;

export const FINISHED_RUN_STATUS = `SELECT status FROM :S.runs_done WHERE id = $1`;

/** Waits another transaction holds are skipped: it resolves them from the token (see rules/tokens.ts). */
export const OPEN_TOKEN_WAITS = `
SELECT * FROM :S.waits WHERE run_id = $1 AND parent_key = $2 AND kind = 'token' AND resolved_at IS NULL
FOR UPDATE SKIP LOCKED`;
