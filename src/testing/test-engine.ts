/**
 * `createTestEngine`: an engine on in-memory SQLite with a virtual clock, for unit tests of durable
 * tasks. Nothing runs in the background: runs execute only inside `t.run`, `t.runs.wait`,
 * `t.runUntilIdle` and `t.clock.advance`, one of which runs at a time. Time moves only when those
 * move it, straight to the next moment something is due, so a three-day sleep takes no real time.
 */
import {
  clockWithPause,
  createEngine,
  toMs,
  WaitTimeoutError,
  type AnyTask,
  type Duration,
  type Engine,
  type TaskInput,
  type TaskOutput,
  type TaskResult,
  type TriggerOptions,
} from "../engine/index.ts";
import { sqliteStore } from "../sqlite/index.ts";
import { FINISHED_STATUSES, type Store } from "../store/index.ts";
import { findBlockers, RunBlockedError } from "./blocked.ts";
import { nextDue, settle } from "./settle.ts";
import { startTime, VirtualClock } from "./virtual-clock.ts";
import { watchStore } from "./watched-store.ts";

export interface TestEngineOptions {
  /** Every durable task the tests trigger or run (as for `createEngine`). */
  readonly tasks: readonly AnyTask[];
  /** The store. Closed by `t.close()`. @default sqliteStore({ path: ":memory:" }) */
  readonly store?: Store;
  /** Where the virtual clock starts. @default the real time when the test engine is created */
  readonly startAt?: Date | number;
}

/** The virtual clock of a test engine. */
export interface TestClock {
  /** The virtual time, in epoch milliseconds (what the engine stores and `ctx.run.createdAt` shows). */
  now(): number;
  /**
   * Moves virtual time forward by `duration` (ms or `{ seconds, minutes, hours, days }`), running
   * everything that becomes due on the way, each at its own time (cron schedules included).
   */
  advance(duration: Duration): Promise<void>;
}

interface TestEngineBase extends AsyncDisposable {
  /** The engine under test (its store and clock are the test engine's). */
  readonly engine: Engine;
  readonly clock: TestClock;
  /**
   * Triggers `task` and drives the engine (and virtual time) until the run finishes; resolves to its
   * result as `engine.runs.wait` does. Rejects with a {@link RunBlockedError} when the run cannot
   * finish because it waits for something that only the test can do (an event, a token).
   */
  run<T extends AnyTask>(task: T | string, payload: TaskInput<T>, options?: TriggerOptions): Promise<TaskResult<TaskOutput<T>>>;
  /** `engine.trigger`: enqueues a run; it runs at the next `runUntilIdle`, `clock.advance` or wait. */
  readonly trigger: Engine["trigger"];
  /** `engine.batchTrigger`. */
  readonly batchTrigger: Engine["batchTrigger"];
  /** `engine.sendEvent`: woken runs run at the next `runUntilIdle`, `clock.advance` or wait. */
  readonly sendEvent: Engine["sendEvent"];
  /** Runs everything due at the current virtual time, until nothing more is; the clock does not move. */
  runUntilIdle(): Promise<void>;
  /**
   * `engine.runs`, except `wait(id, { timeoutMs })`, which drives the engine like `t.run` does (its
   * `timeoutMs` is virtual time) instead of waiting in real time.
   */
  readonly runs: Engine["runs"];
  /** Stops the engine and closes the store. */
  close(): Promise<void>;
}

/** `engine.tokens`, where the engine has waitpoint tokens. */
type TokensPart = Engine extends { readonly tokens: infer Tokens } ? { readonly tokens: Tokens } : unknown;

export type TestEngine = TestEngineBase & TokensPart;

/** A clock jump limit for one wait: beyond it a run is taken to sleep or retry forever. */
const MAX_JUMPS = 10_000;

const KNOWN_OPTIONS = new Set(["tasks", "store", "startAt"]);

export function createTestEngine(options: TestEngineOptions): TestEngine {
  if (options === null || typeof options !== "object") throw new TypeError("createTestEngine: expected options { tasks }");
  for (const k of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(k)) throw new TypeError(`createTestEngine: unknown option \`${k}\` (known: tasks, store, startAt)`);
  }
  const clock = new VirtualClock(startTime(options.startAt));
  const watched = watchStore(options.store ?? sqliteStore({ path: ":memory:" }));
  const store = watched.store;
  // A step's retry back-off is skipped: it takes no real time, and the clock stays where it is (the
  // run is executing and holds a lease that moving time would expire).
  const now = clockWithPause(() => clock.now(), (_ms, signal) => (signal.aborted ? Promise.reject(signal.reason) : Promise.resolve()));
  const engine = createEngine({ store, tasks: options.tasks, clock: now });

  /** One drive at a time: runs, waits, runUntilIdle and advance queue behind each other. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => {});
    return next;
  };
  const drive = () => settle(engine, watched);

  const waitFor = async <T = unknown>(where: string, id: string, timeoutMs: number | undefined): Promise<TaskResult<T>> => {
    const deadline = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
    for (let jumps = 0; ; jumps++) {
      await drive();
      const run = await store.getRun({ id });
      if (run === null) throw new Error(`${where}: no run with id "${id}"`);
      if (FINISHED_STATUSES.includes(run.status)) return engine.runs.wait<T>(id);
      const next = await nextDue(store, clock.now(), { schedules: false });
      if (next === null) throw new RunBlockedError(where, id, await findBlockers(store, watched, id));
      if (next > deadline) {
        clock.moveTo(deadline);
        throw new WaitTimeoutError(`${where}: run ${id} did not finish within ${timeoutMs} ms of virtual time (status: ${run.status})`);
      }
      if (jumps >= MAX_JUMPS) {
        throw new Error(
          `${where}: run ${id} has not finished after ${MAX_JUMPS} jumps of the virtual clock (now ${new Date(clock.now()).toISOString()}); ` +
            "does it sleep or retry forever?",
        );
      }
      clock.moveTo(next);
    }
  };

  /** `runs.wait` in virtual time; takes what `engine.runs.wait` takes (a run id, or a run handle). */
  const wait = (run: string | { readonly id: string }, waitOptions: { readonly timeoutMs?: number } = {}) => {
    const id = typeof run === "string" ? run : run?.id;
    const timeoutMs = waitOptions?.timeoutMs;
    if (typeof id !== "string" || id === "") return Promise.reject(new TypeError("t.runs.wait: `id` must be a non-empty string"));
    if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs >= 0))) {
      return Promise.reject(new TypeError("t.runs.wait: option `timeoutMs` must be a number >= 0"));
    }
    return serial(() => waitFor("t.runs.wait", id, timeoutMs));
  };
  const runs: Engine["runs"] = { ...engine.runs, wait: wait as Engine["runs"]["wait"] };

  const advance = async (duration: Duration) => {
    const target = clock.now() + toMs(duration, "t.clock.advance: `duration`");
    for (;;) {
      await drive();
      const next = await nextDue(store, clock.now(), { schedules: true });
      if (next === null || next > target) break;
      clock.moveTo(next);
    }
    clock.moveTo(target);
  };

  const t: TestEngineBase = {
    engine,
    clock: {
      now: () => clock.now(),
      advance: (duration) => {
        try {
          toMs(duration, "t.clock.advance: `duration`");
        } catch (error) {
          return Promise.reject(error);
        }
        return serial(() => advance(duration));
      },
    },
    async run<T extends AnyTask>(task: T | string, payload: TaskInput<T>, triggerOptions?: TriggerOptions) {
      const handle = await engine.trigger(task as AnyTask, payload, triggerOptions);
      const name = typeof task === "string" ? task : task.id;
      return serial(() => waitFor<TaskOutput<T>>(`t.run("${name}")`, handle.id, undefined));
    },
    trigger: engine.trigger.bind(engine),
    batchTrigger: engine.batchTrigger.bind(engine),
    sendEvent: engine.sendEvent.bind(engine),
    runUntilIdle: () => serial(drive),
    runs,
    close: () => engine.close(),
    [Symbol.asyncDispose]: () => engine.close(),
  };
  if ("tokens" in engine) Object.assign(t, { tokens: engine.tokens });
  return t as TestEngine;
}
