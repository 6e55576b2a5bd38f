/**
 * Same-process notifications for the SQLite store: every store opened on the same file in this
 * process shares one channel, so a trigger wakes a worker at once. Other processes find new work by
 * polling (SQLite has no cross-process notifications).
 */
import { resolve } from "node:path";
import type { StoreNotification } from "../store/types.ts";

type Listener = (n: StoreNotification) => void;

/** Per resolved path: the shared listeners and how many open stores use them. */
const channels = new Map<string, { listeners: Set<Listener>; open: number }>();

export interface Channel {
  emit(n: StoreNotification): void;
  subscribe(listener: Listener): () => void;
  close(): void;
}

/** `path` null: a private channel (`:memory:` databases are private to their connection). */
export function notifier(path: string | null): Channel {
  const key = path === null ? null : resolve(path);
  let shared = key === null ? undefined : channels.get(key);
  if (shared === undefined) {
    shared = { listeners: new Set<Listener>(), open: 0 };
    if (key !== null) channels.set(key, shared);
  }
  shared.open++;
  const { listeners } = shared;
  let closed = false;
  const mine = new Set<Listener>();
  return {
    emit(n) {
      if (listeners.size === 0) return;
      for (const l of [...listeners]) {
        try {
          l(n);
        } catch {
          // a listener's failure is its own business
        }
      }
    },
    subscribe(listener) {
      const wrapped: Listener = (n) => listener(n);
      listeners.add(wrapped);
      mine.add(wrapped);
      return () => {
        listeners.delete(wrapped);
        mine.delete(wrapped);
      };
    },
    close() {
      for (const l of mine) listeners.delete(l);
      mine.clear();
      if (closed) return;
      closed = true;
      // Only the last store on this path drops the channel: the others keep sharing it.
      if (--shared.open === 0 && key !== null) channels.delete(key);
    },
  };
}
