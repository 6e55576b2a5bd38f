/**
 * Writes an attempt's outcome, retrying transient store errors (connection drops, pool timeouts)
 * with backoff for up to ~10 s: giving up leaves the run to be taken over after its lease expires.
 */
export function createPersist(reportError: (error: unknown) => void): <T>(write: () => Promise<T>) => Promise<T> {
  return async function persist<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        reportError(error);
        if (attempt >= 8) throw error;
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  };
}
