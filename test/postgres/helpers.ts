/** Spawning PostgreSQL worker processes for the end-to-end tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("./fixtures/pg-worker.ts", import.meta.url));
export const MIGRATE_ONCE = fileURLToPath(new URL("./fixtures/migrate-once.ts", import.meta.url));
const children = new Set<ChildProcess>();

process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

export function killAll(): void {
  for (const c of children) c.kill("SIGKILL");
}

export function startPgWorker(url: string, schema: string, concurrency = 8, leaseMs = 30_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, url, schema, String(concurrency), String(leaseMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`pg worker exited early with ${code}`)));
  });
}

export function stopPgWorker(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

export function runScript(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}
