/** The soak test's worker processes: started, SIGKILLed at random, stopped. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("./fixtures/soak-worker.ts", import.meta.url));
const all = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of all) c.kill("SIGKILL");
});

export interface Member {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Set once the process was SIGKILLed by the test. */
  killed: boolean;
}

/** Spawns `node --import tsx <file> ...args`, resolving once it prints `word`. */
function spawnUntil(file: string, args: readonly string[], word: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  all.add(child);
  child.on("exit", () => all.delete(child));
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(word)) resolve(child);
    });
    child.on("exit", (code, signal) => reject(new Error(`${file} exited (${code ?? signal}) before printing "${word}"`)));
  });
}

export class Cluster {
  readonly members: Member[] = [];
  readonly #args: readonly string[];

  /** `args`: the worker's arguments after its kind (see fixtures/soak-worker.ts). */
  constructor(args: readonly string[]) {
    this.#args = args;
  }

  async start(): Promise<Member> {
    const child = await spawnUntil(WORKER, this.#args, "ready");
    const m: Member = { child, pid: child.pid!, killed: false };
    this.members.push(m);
    return m;
  }

  live(): Member[] {
    return this.members.filter((m) => !m.killed);
  }

  /** SIGKILLs a random live member other than `spare` (e.g. the one frozen); resolves once it is gone. */
  async killRandom(spare: ReadonlySet<number> = new Set()): Promise<Member> {
    const candidates = this.live().filter((m) => !spare.has(m.pid));
    const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
    victim.killed = true;
    const gone = new Promise((r) => victim.child.once("exit", r));
    victim.child.kill("SIGKILL");
    await gone;
    return victim;
  }

  /** SIGTERMs every live member; resolves to their exit codes. */
  stop(): Promise<(number | null)[]> {
    return Promise.all(
      this.live().map(
        (m) =>
          new Promise<number | null>((resolve) => {
            if (m.child.exitCode !== null) return resolve(m.child.exitCode);
            m.child.once("exit", (code) => resolve(code));
            m.child.kill("SIGTERM");
          }),
      ),
    );
  }

  killAll(): void {
    for (const m of this.members) m.child.kill("SIGKILL");
  }
}
