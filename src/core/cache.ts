/**
 * The per-context cache: one entry per (task, input key), holding the task's promise (memoise the
 * promise, not the value). Bookkeeping for TTL (a creation-order queue swept lazily, a couple of
 * entries per miss: amortised O(1)) and for `maxEntries` (a doubly-linked LRU list, kept only when
 * the bound is finite).
 */
import type { TaskImpl } from "./task.ts";

export interface Entry {
  readonly task: TaskImpl<unknown, unknown>;
  readonly key: unknown;
  readonly input: unknown;
  promise: Promise<unknown>;
  settled: boolean;
  removed: boolean;
  readonly createdAt: number;
  /** Execution signal source, created on first need. */
  controller: AbortController | null;
  /** Abortable signals of the callers interested in this entry. */
  parties: AbortSignal[] | null;
  /** Some caller cannot be aborted: the execution is never aborted. */
  pinned: boolean;
  unlisten: (() => void)[] | null;
  /** Entries this entry's task has awaited (edges of the wait-for graph, for cycle detection). */
  waitsOn: Entry[] | null;
  prev: Entry | null;
  next: Entry | null;
}

/** A class, not an object literal: one stable hidden class for every entry (measurably cheaper to allocate). */
class EntryImpl implements Entry {
  promise: Promise<unknown> = NOT_STARTED;
  settled = false;
  removed = false;
  controller: AbortController | null = null;
  parties: AbortSignal[] | null = null;
  pinned = false;
  unlisten: (() => void)[] | null = null;
  waitsOn: Entry[] | null = null;
  prev: Entry | null = null;
  next: Entry | null = null;
  readonly task: TaskImpl<unknown, unknown>;
  readonly key: unknown;
  readonly input: unknown;
  readonly createdAt: number;

  constructor(task: TaskImpl<unknown, unknown>, key: unknown, input: unknown, createdAt: number) {
    this.task = task;
    this.key = key;
    this.input = input;
    this.createdAt = createdAt;
  }
}

/** Placeholder until the run's promise exists (never settles, never observed by callers). */
const NOT_STARTED: Promise<unknown> = new Promise(() => {});

export function newEntry(task: TaskImpl<unknown, unknown>, key: unknown, input: unknown, now: number): Entry {
  return new EntryImpl(task, key, input, now);
}

/** The Map's key equality (SameValueZero): NaN equals NaN, 0 equals -0. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

export class Cache {
  /**
   * Per task: its only entry, or a Map of its entries by key once it has two or more (a task run for
   * one input per context, the common case, costs no inner Map).
   */
  readonly #byTask = new Map<object, EntryImpl | Map<unknown, Entry>>();
  readonly ttlMs: number;
  readonly maxEntries: number;
  size = 0;
  /** Creation order; slots before #fifoHead are emptied so a swept entry's value can be collected. */
  #fifo: (Entry | undefined)[] = [];
  #fifoHead = 0;
  #lruHead: Entry | null = null;
  #lruTail: Entry | null = null;

  constructor(ttlMs: number, maxEntries: number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  get(task: object, key: unknown): Entry | undefined {
    const slot = this.#byTask.get(task);
    if (slot === undefined) return undefined;
    if (slot instanceof EntryImpl) return sameKey(slot.key, key) ? slot : undefined;
    return slot.get(key);
  }

  isExpired(e: Entry, now: number): boolean {
    return this.ttlMs > 0 && e.settled && now - e.createdAt >= this.ttlMs;
  }

  add(e: Entry): void {
    const slot = this.#byTask.get(e.task);
    if (slot === undefined) {
      this.#byTask.set(e.task, e as EntryImpl);
    } else if (slot instanceof EntryImpl) {
      if (sameKey(slot.key, e.key)) {
        this.#byTask.set(e.task, e as EntryImpl);
      } else {
        this.#byTask.set(e.task, new Map<unknown, Entry>([[slot.key, slot], [e.key, e]]));
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
    if (e.removed) return;
    e.removed = true;
    const slot = this.#byTask.get(e.task);
    if (slot === e) {
      this.#byTask.delete(e.task);
    } else if (slot instanceof Map && slot.get(e.key) === e) {
      slot.delete(e.key);
      if (slot.size === 0) this.#byTask.delete(e.task);
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
      if (e.removed) {
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
    for (const slot of this.#byTask.values()) {
      if (slot instanceof EntryImpl) out.push(slot);
      else for (const e of slot.values()) out.push(e);
    }
    return out;
  }

  /** Every live entry of `task` (for `clear(task)`). */
  entriesOf(task: object): Entry[] {
    const slot = this.#byTask.get(task);
    if (slot === undefined) return [];
    return slot instanceof EntryImpl ? [slot] : [...slot.values()];
  }

  #evictLeastRecentlyUsed(): void {
    // Pending entries are kept (evicting one would let a second run of the same key start).
    let e = this.#lruHead;
    while (e !== null && this.size > this.maxEntries) {
      const next = e.next;
      if (e.settled) this.remove(e);
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
