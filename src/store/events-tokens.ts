/**
 * What a store keeps for events that start runs and for waitpoint tokens (docs/CONTRACT.md §8): the records
 * crossing the Store boundary (types.ts), and the JSON a token wait resolves to.
 *
 * A waitpoint token belongs to the run that created it (`ctx.createToken(key)`): it is stored with
 * that run's id and the step key it was created under. The run waits for it with a wait of kind
 * `"token"` whose `parentKey` is the token's key (and whose key is `<token key>/wait`); the store
 * resolves that wait when the token is completed or expires.
 */
import type { TokenRefusal } from "../vocabulary/tokens.ts";

export type { TokenRefusal };

/** `waiting` until completed (first completion wins) or expired (its timeout passed first). */
export type TokenStatus = "waiting" | "completed" | "expired";

export interface NewToken {
  /** Unguessable (≥ 128 random bits): whoever knows it can complete the token. */
  readonly id: string;
  /** The step key the token was created under, unique per run. */
  readonly key: string;
  readonly createdAt: number;
  /** When the token expires if not completed; null = never. */
  readonly timeoutAt: number | null;
}

export interface TokenRecord extends NewToken {
  readonly runId: string;
  readonly status: TokenStatus;
  /** JSON text of the data the token was completed with. */
  readonly output: string | null;
  /** When it was completed or expired. */
  readonly finishedAt: number | null;
}


export type TokenCompletion =
  | { readonly completed: true; readonly token: TokenRecord }
  | { readonly completed: false; readonly reason: TokenRefusal; readonly token: TokenRecord | null };

/** A run started by an event, and that event. */
export interface RunEventRecord {
  readonly runId: string;
  readonly eventId: string;
  readonly eventName: string;
}

/** The key of the wait on the token created under `tokenKey`. */
export function tokenWaitKey(tokenKey: string): string {
  return `${tokenKey}/wait`;
}

/** A completed token's wait output: `{ ok: true, output }`. */
export function tokenCompletedJson(output: string | null): string {
  return `{"ok":true,"output":${output ?? "null"}}`;
}

/**
 * An expired token's wait output: `{ ok: false, error }` with a `WaitpointTimeoutError`. The message
 * names the token by its key, never by its id (the id is a credential).
 */
export function tokenExpiredJson(tokenKey: string, timeoutAt: number | null): string {
  const when = timeoutAt === null ? "" : ` at ${new Date(timeoutAt).toISOString()}`;
  return JSON.stringify({ ok: false, error: { name: "WaitpointTimeoutError", message: `waitpoint token "${tokenKey}" timed out${when} before it was completed` } });
}

/** The output of a token wait whose token is not stored (deleted, or never created by the run). */
export function tokenMissingJson(runId: string, tokenKey: string): string {
  return JSON.stringify({
    ok: false,
    error: { name: "WaitpointNotFoundError", message: `run ${runId} has no waitpoint token created under the key "${tokenKey}"` },
  });
}
