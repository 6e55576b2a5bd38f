/**
 * Token waits: what a run's wait on one of its waitpoint tokens resolves to, read from the token's
 * record (the store's token row is the one truth: a completion and a timeout cannot both win).
 */
import { tokenCompletedJson, tokenExpiredJson, tokenMissingJson } from "../events-tokens.ts";
import type { NewWait } from "../types.ts";
import { call, type Program } from "./program.ts";
import type { StoredWait } from "./tx.ts";

/**
 * The output the token wait resolves to now, or null while its token is waiting and has not expired.
 * A token whose timeout has passed (or whose wait's timer is due, `timerDue`) is expired here.
 */
export function* tokenWaitOutput(w: StoredWait, now: number, timerDue: boolean): Program<string | null> {
  const key = w.parentKey;
  const token = key === null ? null : yield* call((tx) => tx.tokenByKey(w.runId, key));
  if (token === null) return tokenMissingJson(w.runId, key ?? w.key);
  if (token.status === "completed") return tokenCompletedJson(token.output);
  if (token.status === "expired") return tokenExpiredJson(token.key, token.timeoutAt);
  if (timerDue || (token.timeoutAt !== null && token.timeoutAt <= now)) {
    yield* call((tx) => tx.finishToken(token.id, "expired", null, now));
    return tokenExpiredJson(token.key, token.timeoutAt);
  }
  return null;
}

/** A token wait gets its token's timeout as its timer; other waits pass unchanged. */
export function* withTokenTimer(runId: string, w: NewWait): Program<NewWait> {
  const key = w.parentKey;
  if (w.kind !== "token" || key === null) return w;
  const token = yield* call((tx) => tx.tokenByKey(runId, key));
  return { ...w, wakeAt: token?.timeoutAt ?? null };
}
