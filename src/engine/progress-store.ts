/**
 * The store a worker hands to run contexts: the engine's store, except that `setProgress` also
 * tells the worker (which emits `run:progress`) once the progress is stored.
 */
import type { Store } from "../store/types.ts";

export function withProgressListener(
  store: Store,
  onProgress: (runId: string, progress: number, message: string | null) => void,
): Store {
  const bound = new Map<PropertyKey, unknown>();
  const setProgress: Store["setProgress"] = async (p) => {
    await store.setProgress(p);
    onProgress(p.runId, p.progress, p.message);
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "setProgress") return setProgress;
      let v = bound.get(prop);
      if (v !== undefined) return v;
      v = Reflect.get(target, prop, target);
      if (typeof v === "function") {
        v = (v as (...a: unknown[]) => unknown).bind(target);
        bound.set(prop, v);
      }
      return v;
    },
  });
}
