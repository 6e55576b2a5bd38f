/** The store rules, written once for every store (see program.ts for how a store runs them). */
export { call, runAsync, runSync, type Maybe, type Program } from "./program.ts";
export type { FinalStatus, FinishedRun, RulesTx, StoredWait } from "./tx.ts";
export { Effects, settle } from "./effects.ts";
export { afterFinish, cancelCascade, failAttempt, finishRun, sweep } from "./finish.ts";
export { deliverEvent, resolveDueTimers, resolveEventWaits, resolveWait, suspend, tryResolveNow } from "./waits.ts";
export { emitEvent } from "./events.ts";
export { completeToken, createToken } from "./tokens.ts";
export { groupKey, pickUnderLimits, Slots, type ClaimCandidate, type RunningCount } from "./limits.ts";
export { createRuns, keyHolds } from "./create.ts";
export { RateWindow, rateWindowOf, type QueueRateColumns, type RateGroup, type RateStart } from "./rate.ts";
export { EXPIRED_ERROR, FINISHED_SQL, isFinished, leaseLostError } from "./payloads.ts";
export { childResultJson } from "../child-result.ts";
export { checkBucket, pageLimit, stepsByRun, stepsInOrder, toPage, waitAsStep, zeroByStatus } from "./reads.ts";
export { ruleMethods, type RuleMethods, type Write } from "./methods.ts";
export { PRUNE_BATCH, pruneInBatches } from "./prune.ts";
export { onceUntilFailure } from "./once.ts";
