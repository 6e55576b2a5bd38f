/**
 * Runs one contestant function in its own Node process (fresh heap, fresh JIT, its own event loop),
 * so contestants measured in one bench run do not disturb each other. The function is a named export
 * of a module under bench/lib/contestants; it gets its arguments and a message channel to the parent.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A message between parent and child: `{ type, ...data }`. */
export interface Msg {
  readonly type: string;
  readonly [k: string]: unknown;
}

/** What the contestant function receives as its second argument. */
export interface Channel {
  send(msg: Msg): void;
  /** Resolves with the next message of this type from the other side. */
  next(type: string): Promise<Msg>;
}

export interface ChildRun<R> {
  readonly pid: number;
  /** The function's return value; rejects if it threw or the process died. */
  readonly result: Promise<R>;
  readonly channel: Channel;
  kill(): void;
}

const ENTRY = fileURLToPath(new URL("./child-entry.ts", import.meta.url));

/** A channel over a process's IPC: messages of a type wait in a queue until someone asks for them. */
export function makeChannel(send: (m: Msg) => void, subscribe: (fn: (m: Msg) => void) => void): Channel {
  const queued = new Map<string, Msg[]>();
  const waiting = new Map<string, ((m: Msg) => void)[]>();
  subscribe((m) => {
    const w = waiting.get(m.type);
    if (w !== undefined && w.length > 0) w.shift()!(m);
    else queued.set(m.type, [...(queued.get(m.type) ?? []), m]);
  });
  return {
    send,
    next(type) {
      const q = queued.get(type);
      if (q !== undefined && q.length > 0) return Promise.resolve(q.shift()!);
      return new Promise((resolve) => waiting.set(type, [...(waiting.get(type) ?? []), resolve]));
    },
  };
}

/**
 * Forks `node --import tsx --expose-gc child-entry.ts <module> <fn>` and calls `fn(args, channel)` there.
 * `module` is a path relative to bench/lib/contestants without extension, e.g. `"graphile"`.
 */
export function runInChild<R>(module: string, fn: string, args: unknown, env: Record<string, string> = {}): ChildRun<R> {
  const child: ChildProcess = fork(ENTRY, [module, fn], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  const channel = makeChannel(
    (m) => child.send(m),
    (fn_) => child.on("message", (m) => fn_(m as Msg)),
  );
  const result = new Promise<R>((resolve, reject) => {
    let settled = false;
    child.on("message", (m: Msg) => {
      if (m.type === "result") {
        settled = true;
        resolve(m["value"] as R);
      } else if (m.type === "error") {
        settled = true;
        reject(new Error(`${module}.${fn} failed in child ${child.pid}: ${String(m["message"])}`));
      }
    });
    child.on("exit", (code, signal) => {
      if (!settled) reject(new Error(`${module}.${fn}: child ${child.pid} exited with ${code ?? signal} before answering`));
    });
  });
  child.send({ type: "args", args });
  return { pid: child.pid ?? -1, result, channel, kill: () => child.kill("SIGKILL") };
}
