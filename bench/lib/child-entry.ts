/**
 * Entry point of a contestant process (see child.ts): loads bench/lib/contestants/<module>.ts, waits for
 * its arguments, runs the named export and reports its result (or error) to the parent, then exits.
 */
import { makeChannel, type Msg } from "./child.ts";

const [moduleName, fnName] = process.argv.slice(2);
const send = (m: Msg): void => {
  process.send?.(m);
};
const channel = makeChannel(send, (fn) => process.on("message", (m) => fn(m as Msg)));

async function main(): Promise<void> {
  if (moduleName === undefined || fnName === undefined || !/^[a-z0-9-]+$/.test(moduleName)) {
    throw new TypeError(`child-entry: expected <module> <function>, got ${JSON.stringify(process.argv.slice(2))}`);
  }
  const mod = (await import(`./contestants/${moduleName}.ts`)) as Record<string, unknown>;
  const fn = mod[fnName];
  if (typeof fn !== "function") throw new TypeError(`child-entry: contestants/${moduleName}.ts has no export ${fnName}`);
  const { args } = await channel.next("args");
  const value: unknown = await (fn as (a: unknown, c: typeof channel) => Promise<unknown>)(args, channel);
  await sendAndFlush({ type: "result", value });
}

/** Sends and waits until the message left the process, so exiting right after cannot drop it. */
async function sendAndFlush(m: Msg): Promise<void> {
  await new Promise<void>((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
}

main().then(
  () => {
    process.disconnect?.();
    // Libraries may keep timers or sockets open; the result is sent, so end the process.
    setTimeout(() => process.exit(0), 50).unref();
  },
  (e: unknown) => {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    void sendAndFlush({ type: "error", message }).then(() => process.exit(1));
  },
);
