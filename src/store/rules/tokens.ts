/**
 * Waitpoint tokens (docs/CONTRACT.md §8): creating one with the step that records it, and completing one.
 *
 * Completion locks in the order run → token → waits, the order a suspend takes them in too (run →
 * token → waits), and skips a wait another transaction holds (a due timer resolving it reads the
 * token after this completion commits), so completions, suspends and timers never deadlock.
 */
import { tokenCompletedJson } from "../events-tokens.ts";
import type { NewStep, NewToken, TokenCompletion } from "../types.ts";
import type { Effects } from "./effects.ts";
import { isFinished } from "./payloads.ts";
import { call, type Program } from "./program.ts";
import { resolveWait } from "./waits.ts";

export interface CreateToken {
  readonly workerId: string;
  readonly runId: string;
  readonly token: NewToken;
  readonly step: NewStep;
  readonly now: number;
}

/** Stores the token and its step if `workerId` holds the run; false (nothing written) when not. */
export function* createToken(p: CreateToken): Program<boolean> {
  if (!(yield* call((tx) => tx.lockHeld(p.runId, p.workerId)))) return false;
  yield* call((tx) => tx.insertToken(p.runId, p.token));
  yield* call((tx) => tx.saveHeldStep(p.runId, p.workerId, p.step));
  return true;
}

/** The first completion of a waiting token wins; see `Store.completeToken`. */
export function* completeToken(p: { readonly id: string; readonly output: string; readonly now: number }, effects: Effects): Program<TokenCompletion> {
  const { id, output, now } = p;
  const seen = yield* call((tx) => tx.tokenById(id, false));
  if (seen === null) return { completed: false, reason: "notFound", token: null };
  const runStatus = yield* call((tx) => tx.lockRunStatus(seen.runId));
  const token = yield* call((tx) => tx.tokenById(id, true));
  if (token === null) return { completed: false, reason: "notFound", token: null };
  if (token.status === "completed") return { completed: false, reason: "alreadyCompleted", token };
  if (token.status === "expired" || (token.timeoutAt !== null && token.timeoutAt <= now)) return { completed: false, reason: "expired", token };
  if (runStatus === null || isFinished(runStatus)) return { completed: false, reason: "runFinished", token };
  yield* call((tx) => tx.finishToken(id, "completed", output, now));
  const json = tokenCompletedJson(output);
  for (const w of yield* call((tx) => tx.openTokenWaits(token.runId, token.key))) yield* resolveWait(w, json, now, effects);
  return { completed: true, token: { ...token, status: "completed", output, finishedAt: now } };
}
