/**
 * Queue rate limits (docs/CONTRACT.md §7), decided inside the claim transaction: at most `limit`
 * claims of a queue's runs in any window of `periodMs` (a sliding window), per queue or per
 * (queue, concurrencyKey). The store reads the recent claims of the candidates' groups into a
 * {@link RateWindow} in that transaction; the window then says which candidates may start, when a
 * held-back one may start next, and which claims the store must record.
 */
import type { RateLimitConfig } from "../types.ts";
import { groupKey, type ClaimCandidate } from "./limits.ts";

/** One rate-limited group: its queue and key ("" for a limit over the whole queue). */
export interface RateGroup {
  readonly queue: string;
  readonly key: string;
}

/** A claim recorded in a group's window. */
export interface RateStart extends RateGroup {
  readonly startedAt: number;
}

export class RateWindow {
  readonly #rules: ReadonlyMap<string, RateLimitConfig>;
  readonly #now: number;
  /** Claim times inside the window, oldest first, per group. */
  readonly #starts = new Map<string, number[]>();
  /** Candidates held back: run id → the time they may start next. */
  readonly held = new Map<string, number>();
  /** Claims this transaction made, to record. */
  readonly started: RateStart[] = [];

  constructor(rules: ReadonlyMap<string, RateLimitConfig>, now: number) {
    this.#rules = rules;
    this.#now = now;
  }

  get empty(): boolean {
    return this.#rules.size === 0;
  }

  /** The rate group of a candidate, or null when its queue has no rate limit (or it is a takeover). */
  groupOf(c: ClaimCandidate): RateGroup | null {
    const rule = this.#rules.get(c.queue);
    if (rule === undefined || c.status === "running") return null;
    return { queue: c.queue, key: rule.perKey ? (c.concurrencyKey ?? "") : "" };
  }

  /** The groups of these candidates whose claims have not been loaded yet (each once). */
  missing(candidates: Iterable<ClaimCandidate>): RateGroup[] {
    const out = new Map<string, RateGroup>();
    for (const c of candidates) {
      const g = this.groupOf(c);
      if (g === null) continue;
      const k = groupKey(g.queue, g.key);
      if (!this.#starts.has(k) && !out.has(k)) out.set(k, g);
    }
    return [...out.values()];
  }

  /** Loads the stored claims of the given groups (any order; those outside the window are ignored). */
  load(groups: readonly RateGroup[], starts: readonly RateStart[]): void {
    for (const g of groups) this.#starts.set(groupKey(g.queue, g.key), []);
    for (const s of starts) {
      const rule = this.#rules.get(s.queue);
      if (rule === undefined || s.startedAt <= this.#now - rule.periodMs) continue;
      this.#starts.get(groupKey(s.queue, s.key))?.push(s.startedAt);
    }
    for (const list of this.#starts.values()) list.sort((a, b) => a - b);
  }

  /** Whether the candidate may start now; when not, it is recorded in {@link held}. Does not count it. */
  allows(c: ClaimCandidate): boolean {
    const g = this.groupOf(c);
    if (g === null) return true;
    const rule = this.#rules.get(g.queue)!;
    const starts = this.#starts.get(groupKey(g.queue, g.key)) ?? [];
    if (starts.length < rule.limit) return true;
    // Full: it may start when the claim `limit` places back leaves the window.
    this.held.set(c.id, starts[starts.length - rule.limit]! + rule.periodMs);
    return false;
  }

  /** Counts the claim of a candidate {@link allows} let through. */
  take(c: ClaimCandidate): void {
    const g = this.groupOf(c);
    if (g === null) return;
    const k = groupKey(g.queue, g.key);
    let starts = this.#starts.get(k);
    if (starts === undefined) this.#starts.set(k, (starts = []));
    starts.push(this.#now);
    this.started.push({ ...g, startedAt: this.#now });
  }

  /** Each rate-limited queue with the oldest claim time still inside its window (older ones can go). */
  horizons(): { readonly queue: string; readonly since: number }[] {
    return [...this.#rules].map(([queue, rule]) => ({ queue, since: this.#now - rule.periodMs }));
  }
}

/** A queue's rate limit as a store reads it: its row's three columns, null when the queue has none. */
export interface QueueRateColumns {
  readonly name: string;
  readonly limit: number | null;
  readonly periodMs: number | null;
  readonly perKey: boolean;
}

/** The window over the queues that have a rate limit, or null when none has one (the claim then costs nothing more). */
export function rateWindowOf(queues: readonly QueueRateColumns[], now: number): RateWindow | null {
  const rules = new Map<string, RateLimitConfig>();
  for (const q of queues) {
    if (q.limit !== null && q.periodMs !== null) rules.set(q.name, { limit: q.limit, periodMs: q.periodMs, perKey: q.perKey });
  }
  return rules.size === 0 ? null : new RateWindow(rules, now);
}
