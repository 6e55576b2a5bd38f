/**
 * Waiting for another connection's write lock without freezing the process. SQLite's own busy
 * handler sleeps inside the call, blocking the event loop for as long as the lock is held; the store
 * sets it to a few milliseconds ({@link SYNC_BUSY_MS}) and retries a busy call from the event loop
 * with backoff, so timers, heartbeats and other work keep running while another process holds the
 * lock, and the call goes through as soon as the lock is released.
 */

/** How long one call may wait inside SQLite (blocking) before the store retries asynchronously. */
export const SYNC_BUSY_MS = 5;
const MAX_BACKOFF_MS = 50;

/** The database is locked by another connection (SQLITE_BUSY and its extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** Thrown when a call stayed locked out for longer than `busyTimeoutMs`. */
export class SqliteBusyError extends Error {
  override readonly name = "SqliteBusyError";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` (one synchronous transaction or statement), again after a pause whenever it finds the
 * database locked, until it succeeds or `timeoutMs` has passed. The first attempt runs at once: when
 * it goes through, this costs the call and one settled promise, nothing more.
 */
export function retryBusy<T>(fn: () => T, timeoutMs: number, label: string): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    if (!isBusy(error)) return Promise.reject(error);
    return retryLater(fn, Date.now() + timeoutMs, error, timeoutMs, label);
  }
}

/** The attempts after one found the database locked, with backoff, until `deadline`. */
async function retryLater<T>(fn: () => T, deadline: number, busy: unknown, timeoutMs: number, label: string): Promise<T> {
  for (let delay = 1; ; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
    const now = Date.now();
    if (now >= deadline) {
      throw new SqliteBusyError(`sqliteStore: "${label}" stayed locked by another connection for more than ${timeoutMs} ms (option \`busyTimeoutMs\`)`, {
        cause: busy,
      });
    }
    await sleep(Math.min(delay, deadline - now));
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error)) throw error;
      busy = error;
    }
  }
}
