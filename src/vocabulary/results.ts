/** Task results `{ ok, id, output | error, unwrap() }`: what `runs.wait`, `execute` and child runs resolve to. */
import type { SerializedError } from "./serialize-error.ts";

export type TaskResult<TOutput> =
  | { readonly ok: true; readonly id: string; readonly output: TOutput; unwrap(): TOutput }
  | { readonly ok: false; readonly id: string; readonly error: SerializedError; unwrap(): never };

export function taskResult<T>(id: string, ok: boolean, output: unknown, error: SerializedError | null): TaskResult<T> {
  if (ok) return { ok: true, id, output: output as T, unwrap: () => output as T };
  const err = error ?? { name: "Error", message: "the run did not complete" };
  return {
    ok: false,
    id,
    error: err,
    unwrap: () => {
      throw new Error(`run ${id} failed: ${err.name}: ${err.message}`, { cause: err });
    },
  };
}

/** Parses a stored child result `{ ok, id, output | error }`. */
export function childResult<T>(json: string): TaskResult<T> {
  const r = JSON.parse(json) as { ok: boolean; id: string; output?: unknown; error?: SerializedError };
  return taskResult<T>(r.id, r.ok, r.output, r.error ?? null);
}
