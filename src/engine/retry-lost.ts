/**
 * Start-up steps are idempotent (migrations, queue settings, declared schedules), so a connection the
 * server drops under one of them (a restart, a terminated backend) is not a reason to fail `start()`:
 * the step is tried again on a new connection, a few times, with a growing pause. A database that
 * cannot be reached or used at all still fails at once, with the store's readable error.
 */
import { StoreConnectionError } from "../vocabulary/errors.ts";

/** Pauses before the second, third and fourth attempt. */
export const LOST_RETRY_DELAYS_MS: readonly number[] = [100, 400, 1_500];

export async function retryLost<T>(step: () => Promise<T>, delaysMs: readonly number[] = LOST_RETRY_DELAYS_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const pause = delaysMs[attempt];
      if (!(error instanceof StoreConnectionError) || !error.lost || pause === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
