/** Runs `fn` once and shares its promise; after a failure the next call tries again (e.g. `migrate`). */
export function onceUntilFailure<T>(fn: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= fn().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
