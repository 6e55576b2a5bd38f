/**
 * What a run is blocked on when nothing more is due in virtual time: its open waits as the store
 * holds them (`getSteps` lists them with status "waiting"), detailed by the wait records handed to the
 * store (event name, match, and any field a newer kind of wait carries, such as a token's id).
 * Waits on child runs are followed into the children.
 */
import type { NewWait, RunRecord, StepRecord, Store } from "../store/index.ts";
import type { WatchedStore } from "./watched-store.ts";

/** One thing a blocked run waits for. */
export interface BlockedWait {
  /** The run that waits: the awaited run itself or one of its descendants. */
  readonly runId: string;
  readonly taskId: string;
  /**
   * The kind of the stored wait (`"event"`, or a newer kind such as a token), or `"unclaimed"`: a
   * run that is due but that no worker of the test engine claims.
   */
  readonly kind: string;
  /** The wait's key (e.g. the first argument of `ctx.waitForEvent`); null for `"unclaimed"`. */
  readonly key: string | null;
  /** For an event wait: the event's name. */
  readonly eventName: string | null;
  /** For an event wait: the partial payload the event must contain, or null. */
  readonly match: unknown;
  /** Other fields of the stored wait (for a token wait, its id). */
  readonly details: Readonly<Record<string, unknown>>;
  /** One line naming what is awaited. */
  readonly description: string;
}

/** `t.run` / `t.runs.wait`: the run cannot finish, since nothing more is due in virtual time. */
export class RunBlockedError extends Error {
  override readonly name: string = "RunBlockedError";
  /** The run that was awaited. */
  readonly runId: string;
  /** What it (or a descendant it waits for) is blocked on. */
  readonly blockedOn: readonly BlockedWait[];

  constructor(where: string, runId: string, blockedOn: readonly BlockedWait[]) {
    const lines = blockedOn.map((b) => `  - ${b.description}`);
    const hints = [...new Set(blockedOn.map(hint).filter((h) => h !== null))];
    super(
      `${where}: run ${runId} cannot finish: nothing more is due in virtual time, and it is blocked on\n` +
        `${lines.join("\n") || "  - (no open wait was found)"}\n` +
        [...hints, "To test the waiting part, drive the run step by step: t.trigger, t.runUntilIdle, then complete the wait."].join("\n"),
    );
    this.runId = runId;
    this.blockedOn = blockedOn;
  }
}

/** The open waits of `runId` and, through child waits, of its descendants. */
export async function findBlockers(store: Store, watched: WatchedStore, runId: string): Promise<BlockedWait[]> {
  const out: BlockedWait[] = [];
  const seen = new Set<string>();
  const visit = async (id: string): Promise<void> => {
    if (seen.has(id)) return;
    seen.add(id);
    const run = await store.getRun({ id });
    if (run === null) return;
    if (run.status === "queued" || run.status === "delayed") {
      out.push(unclaimed(run));
      return;
    }
    if (run.status !== "waiting") return;
    for (const step of await store.getSteps({ runId: id })) {
      if (step.status !== "waiting") continue;
      if (step.kind === "child" && step.childRunId !== null) await visit(step.childRunId);
      else out.push(waitOf(run, step, watched.waitsOf(id).get(step.key)));
    }
  };
  await visit(runId);
  return out;
}

const STANDARD_FIELDS = new Set(["key", "parentKey", "kind", "createdAt", "wakeAt", "eventName", "match", "childRunId"]);

function waitOf(run: RunRecord, step: StepRecord, stored: NewWait | undefined): BlockedWait {
  const eventName = stored?.eventName ?? null;
  const match = stored?.match == null ? null : (JSON.parse(stored.match) as unknown);
  const details = Object.fromEntries(
    Object.entries(stored ?? {}).filter(([k, v]) => !STANDARD_FIELDS.has(k) && v !== null && v !== undefined),
  );
  const where = `in run ${run.id} of task "${run.taskId}"`;
  let what: string;
  if (step.kind === "event") {
    what = eventName === null ? `an event (ctx.waitForEvent("${step.key}")` : `event "${eventName}" (ctx.waitForEvent("${step.key}")`;
    if (match !== null) what += ` matching ${JSON.stringify(match)}`;
    what += ` ${where})`;
  } else {
    const extra = Object.entries(details).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    what = `${step.kind} "${step.key}" (${[...extra, where].join(", ")})`;
  }
  return { runId: run.id, taskId: run.taskId, kind: step.kind, key: step.key, eventName, match, details, description: what };
}

function unclaimed(run: RunRecord): BlockedWait {
  return {
    runId: run.id,
    taskId: run.taskId,
    kind: "unclaimed",
    key: null,
    eventName: null,
    match: null,
    details: { queue: run.queue },
    description: `run ${run.id} of task "${run.taskId}" is ${run.status} in queue "${run.queue}", but no worker of this test engine claims it`,
  };
}

function hint(b: BlockedWait): string | null {
  if (b.kind === "event" && b.eventName !== null) return `Send the event with t.sendEvent("${b.eventName}", payload).`;
  if (b.kind === "token") return "Complete the token with t.tokens.complete(id, data).";
  return null;
}
