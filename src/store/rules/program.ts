/**
 * The store rules are written once, as generator "programs" that yield the SQL primitives they need
 * ({@link RulesTx} calls) and get the results back. A store runs a program inside its own transaction:
 * the SQLite store synchronously ({@link runSync}, better-sqlite3 is synchronous), the PostgreSQL
 * store asynchronously ({@link runAsync}). The rules never see SQL; the stores never repeat a rule.
 */
import type { Maybe, RulesTx } from "./tx.ts";

export type { Maybe };

/** One primitive call a program asks its store to make. */
export type Op = (tx: RulesTx) => unknown;

/** A store rule: yields primitive calls, returns `T`. */
export type Program<T> = Generator<Op, T, unknown>;

/** Asks the store for one primitive call and returns its result (use as `yield* call((tx) => …)`). */
export function* call<T>(op: (tx: RulesTx) => Maybe<T>): Program<T> {
  return (yield op) as T;
}

/** Runs a program against primitives that answer synchronously (the SQLite store). */
export function runSync<T>(program: Program<T>, tx: RulesTx): T {
  let step = program.next();
  while (step.done !== true) {
    let value: unknown;
    try {
      value = step.value(tx);
    } catch (error) {
      step = program.throw(error);
      continue;
    }
    if (isThenable(value)) throw new Error("store rules: a synchronous store returned a promise");
    step = program.next(value);
  }
  return step.value;
}

/** Runs a program against primitives that answer with promises (the PostgreSQL store). */
export async function runAsync<T>(program: Program<T>, tx: RulesTx): Promise<T> {
  let step = program.next();
  while (step.done !== true) {
    let value: unknown;
    try {
      value = await step.value(tx);
    } catch (error) {
      step = program.throw(error);
      continue;
    }
    step = program.next(value);
  }
  return step.value;
}

function isThenable(value: unknown): boolean {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}
