/**
 * Abort bookkeeping of entries. An execution is aborted only when every caller waiting for it has
 * aborted; a caller that cannot be aborted pins the entry (never aborted). The callers' signals are
 * recorded on every run, but listened to only once the task asks for its signal (`ctx.signal`):
 * until then, no controller and no listener exist.
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
  const onAbort = () => {
    const controller = e.more?.controller;
    if (isPinned(e) || isSettled(e) || controller == null) return;
    if (everyPartyAborted(e)) controller.abort(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  (extras(e).unlisten ??= []).push(() => signal.removeEventListener("abort", onAbort));
  if (signal.aborted) onAbort();
}

/** `p`, or a rejection with the signal's reason as soon as it aborts, whichever comes first. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
