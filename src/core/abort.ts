/**
 * Abort bookkeeping of entries. An execution is aborted only when every caller waiting for it has
 * aborted; a caller that cannot be aborted pins the entry (never aborted). The callers are recorded on
 * every run, but listened to only once the task asks for its signal (`ctx.signal`): until then, no
 * controller and no listener exist.
 *
 * Listening goes through {@link onAbort}: one 'abort' listener per signal and a set of callbacks,
 * because EventTarget's addEventListener/removeEventListener cost about a microsecond a pair, paid
 * by every `run` of a context that has a signal.
 */
import { extras, isPinned, isSettled, type Entry, type Party } from "./entry.ts";

/** The signal to listen to for a party (making a `ctx.all` call's signal now if it has none yet). */
export function signalOf(party: Party): AbortSignal {
  return party instanceof AbortSignal ? party : party.signal;
}

/** The entry's execution signal; aborts once every interested caller has aborted. */
export function executionSignal(e: Entry): AbortSignal {
  const x = extras(e);
  if (x.controller === null) {
    x.controller = new AbortController();
    if (!isPinned(e) && e.party !== null && !isSettled(e)) {
      listen(e, signalOf(e.party));
      if (x.parties !== null) for (const p of x.parties) listen(e, signalOf(p));
    }
  }
  return x.controller.signal;
}

/** True when the task's execution signal was aborted (its callers all went away). */
export function executionAborted(e: Entry): boolean {
  const c = e.more?.controller;
  return c != null && c.signal.aborted;
}

/** Records an abortable caller of `e` (listened to at once if the execution signal exists). */
export function addParty(e: Entry, party: Party): void {
  if (isPinned(e)) return;
  if (e.party === null) {
    e.party = party;
  } else {
    if (e.party === party) return;
    const x = extras(e);
    const parties = (x.parties ??= []);
    if (parties.includes(party)) return;
    parties.push(party);
  }
  if (e.more !== null && e.more.controller !== null) listen(e, signalOf(party));
}

function everyPartyAborted(e: Entry): boolean {
  if (e.party === null || !e.party.aborted) return false;
  const parties = e.more?.parties;
  return parties == null || parties.every((p) => p.aborted);
}

function listen(e: Entry, signal: AbortSignal): void {
  const f = (reason: unknown) => {
    const controller = e.more?.controller;
    if (isPinned(e) || isSettled(e) || controller == null) return;
    if (everyPartyAborted(e)) controller.abort(reason);
  };
  onAbort(signal, f);
  (extras(e).unlisten ??= []).push(() => offAbort(signal, f));
  if (signal.aborted) f(signal.reason);
}

/** `p`, or a rejection with the signal's reason as soon as it aborts, whichever comes first. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    onAbort(signal, reject);
    p.then(
      (v) => {
        offAbort(signal, reject);
        resolve(v);
      },
      (err: unknown) => {
        offAbort(signal, reject);
        reject(err);
      },
    );
  });
}

type AbortCallback = (reason: unknown) => void;

/** The callbacks waiting for each signal; the signal holds the one listener that calls them. */
const waiting = new WeakMap<AbortSignal, Set<AbortCallback>>();

/**
 * Calls `f(reason)` when `signal` aborts, once. Like addEventListener, nothing is called for a signal
 * that has already aborted (callers check `aborted` first). Undone by {@link offAbort}.
 */
export function onAbort(signal: AbortSignal, f: AbortCallback): void {
  let callbacks = waiting.get(signal);
  if (callbacks === undefined) {
    const set = new Set<AbortCallback>();
    const dispatch = () => {
      const due = [...set]; // those added while dispatching wait for nothing: the signal has aborted
      set.clear();
      for (const g of due) g(signal.reason);
    };
    signal.addEventListener("abort", dispatch, { once: true });
    waiting.set(signal, set);
    callbacks = set;
  }
  callbacks.add(f);
}

export function offAbort(signal: AbortSignal, f: AbortCallback): void {
  waiting.get(signal)?.delete(f);
}
