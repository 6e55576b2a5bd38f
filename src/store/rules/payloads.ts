/**
 * The texts the stores write for outcomes they decide themselves (not the worker): one definition,
 * so every store writes the same payload for the same event (the conformance suite checks it).
 */
import { FINISHED_STATUSES, type RunStatus } from "../types.ts";

export { childResultJson } from "../child-result.ts";

/** Error stored on a run whose worker lost its lease on the last attempt. */
export function leaseLostError(attempt: number): string {
  return JSON.stringify({
    name: "LeaseExpiredError",
    message: `the worker running attempt ${attempt} stopped renewing its lease (crashed or frozen) and no attempts are left`,
  });
}

/** Error stored on a run that did not start before its `ttlMs` ran out. */
export const EXPIRED_ERROR = JSON.stringify({ name: "ExpiredError", message: "the run was not started before its ttl ran out" });

/** True for the statuses a run never leaves. */
export function isFinished(status: RunStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/** The finished statuses as an SQL list, `('completed', 'failed', 'canceled', 'expired')`, for both stores' SQL. */
export const FINISHED_SQL = `(${FINISHED_STATUSES.map((s) => `'${s}'`).join(", ")})`;
