/**
 * The Store calls that are nothing but a rule run in one write transaction: each store supplies its
 * `write` (a transaction that runs a program, settles its effects and notifies) and gets these.
 */
import type { Store } from "../types.ts";
import { createRuns } from "./create.ts";
import type { Effects } from "./effects.ts";
import { cancelCascade, failAttempt } from "./finish.ts";
import type { Program } from "./program.ts";
import { deliverEvent, suspend } from "./waits.ts";

/** Runs a program in one write transaction of the store (synchronously or not). */
export type Write = <T>(now: number, body: (effects: Effects) => Program<T>) => T | Promise<T>;

export type RuleMethods = Pick<Store, "createRuns" | "failRun" | "suspendRun" | "sendEvent" | "cancelRun">;

export function ruleMethods(write: Write): RuleMethods {
  return {
    createRuns: async ({ runs, now }) =>
      write(now, function* (effects) {
        const out = yield* createRuns(runs, now);
        if (out.some((x) => x.created)) effects.available = true;
        return out;
      }),
    failRun: async (p) => write(p.now, (effects) => failAttempt(p, effects)),
    suspendRun: async (p) => write(p.now, (effects) => suspend(p, effects)),
    sendEvent: async (p) => write(p.now, (effects) => deliverEvent(p, effects)),
    cancelRun: async ({ id, error, now }) => write(now, (effects) => cancelCascade(id, error, now, effects)),
  };
}
