/**
 * The per-context cache: one entry per (task, input key), holding the task's promise (memoise the
 * promise, not the value). Bookkeeping for TTL (a creation-order queue swept lazily, a couple of
 * entries per miss: amortised O(1)) and for `maxEntries` (a doubly-linked LRU list, kept only when
 * the bound is finite). It also carries what every view of the context shares: the persist hook
 * and the clock.
 */
import { isRemoved, isSettled, markRemoved, type Entry } from "./entry.ts";
import type { PersistHook } from "./types.ts";

/** The Map's key equality (SameValueZero): NaN equals NaN, 0 equals -0. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

export class Cache {
  /**
   * Per task: its only entry, or a Map of its entries by key once it has two or more (a task run for
   * one input per context, the common case, costs no inner Map).
   */
  #byTask: Map<object, Entry | Map<unknown, Entry>> | null = null;
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly persist: PersistHook | undefined;
  readonly #now: () => number;
  /** Entry times are milliseconds since this instant: small integers, never a boxed double. */
  readonly #epoch: number;
  size = 0;
  /** Creation order; slots before #fifoHead are emptied so a swept entry's value can be collected. */
  #fifo: (Entry | undefined)[] = [];
  #fifoHead = 0;
  #lruHead: Entry | null = null;
  #lruTail: Entry | null = null;

  constructor(ttlMs: number, maxEntries: number, persist: PersistHook | undefined, now: () => number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.persist = persist;
    this.#now = now;
    this.#epoch = ttlMs > 0 ? now() : 0;
  }

  /** The time for a new entry or an expiry check: ms since the epoch; 0 (no clock read) without a TTL. */
  clock(): number {
    return this.ttlMs > 0 ? this.#now() - this.#epoch : 0;
  }

  get(task: object, key: unknown): Entry | undefined {
    const slot = this.#byTask?.get(task);
    if (slot === undefined) return undefined;
    if (!(slot instanceof Map)) return sameKey(slot.key, key) ? slot : undefined;
    return slot.get(key);
  }

  isExpired(e: Entry, now: number): boolean {
    return this.ttlMs > 0 && isSettled(e) && now - e.createdAt >= this.ttlMs;
  }

  add(e: Entry): void {
    // Made on the first entry: a run context that never calls an in-process task costs no Map.
    const byTask = (this.#byTask ??= new Map());
    const slot = byTask.get(e.task);
    if (slot === undefined) {
      byTask.set(e.task, e);
    } else if (!(slot instanceof Map)) {
      if (sameKey(slot.key, e.key)) {
        byTask.set(e.task, e);
      } else {
        byTask.set(e.task, new Map<unknown, Entry>([[slot.key, slot], [e.key, e]]));
      }
    } else {
      slot.set(e.key, e);
    }
    this.size++;
    if (this.ttlMs > 0) this.#fifo.push(e);
    if (this.maxEntries !== Infinity) {
      this.#append(e);
      if (this.size > this.maxEntries) this.#evictLeastRecentlyUsed();
    }
  }

  remove(e: Entry): void {
    if (isRemoved(e)) return;
    markRemoved(e);
    const byTask = this.#byTask;
    const slot = byTask?.get(e.task);
    if (slot === e) {
      byTask!.delete(e.task);
    } else if (slot instanceof Map && slot.get(e.key) === e) {
      slot.delete(e.key);
      if (slot.size === 0) byTask!.delete(e.task);
    }
    this.size--;
    if (this.maxEntries !== Infinity) this.#unlink(e);
  }

  /** Marks `e` most recently used. */
  touch(e: Entry): void {
    if (this.maxEntries === Infinity || e === this.#lruTail) return;
    this.#unlink(e);
    this.#append(e);
  }

  /** Removes up to two expired entries from the front of the creation queue. */
  sweep(now: number): void {
    if (this.ttlMs === 0) return;
    const fifo = this.#fifo;
    let removedCount = 0;
    while (this.#fifoHead < fifo.length && removedCount < 2) {
      const e = fifo[this.#fifoHead]!;
      if (isRemoved(e)) {
        fifo[this.#fifoHead++] = undefined;
        continue;
      }
      if (!this.isExpired(e, now)) break;
      this.remove(e);
      fifo[this.#fifoHead++] = undefined;
      removedCount++;
    }
    if (this.#fifoHead > 1024 && this.#fifoHead * 2 > fifo.length) {
      this.#fifo = fifo.slice(this.#fifoHead);
      this.#fifoHead = 0;
    }
  }

  /** Every live entry, as a copy (for `clear()`). */
  entries(): Entry[] {
    const out: Entry[] = [];
    if (this.#byTask === null) return out;
    for (const slot of this.#byTask.values()) {
      if (!(slot instanceof Map)) out.push(slot);
      else for (const e of slot.values()) out.push(e);
    }
    return out;
  }

  /** Every live entry of `task` (for `clear(task)`). */
  entriesOf(task: object): Entry[] {
    const slot = this.#byTask?.get(task);
    if (slot === undefined) return [];
    return !(slot instanceof Map) ? [slot] : [...slot.values()];
  }

  #evictLeastRecentlyUsed(): void {
    // Pending entries are kept (evicting one would let a second run of the same key start).
    let e = this.#lruHead;
    while (e !== null && this.size > this.maxEntries) {
      const next = e.next;
      if (isSettled(e)) this.remove(e);
      e = next;
    }
  }

  #append(e: Entry): void {
    e.prev = this.#lruTail;
    e.next = null;
    if (this.#lruTail !== null) this.#lruTail.next = e;
    else this.#lruHead = e;
    this.#lruTail = e;
  }

  #unlink(e: Entry): void {
    if (e.prev !== null) e.prev.next = e.next;
    else if (this.#lruHead === e) this.#lruHead = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else if (this.#lruTail === e) this.#lruTail = e.prev;
    e.prev = null;
    e.next = null;
  }
}
