/**
 * Child processes for the SQLite tests: a fixture script of test/sqlite/fixtures run with tsx, as a
 * second process on the same file would.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const fixture = (name: string) => fileURLToPath(new URL(`../sqlite/fixtures/${name}`, import.meta.url));

/** Runs a fixture in a child process; resolves its stdout, rejects on a non-zero exit or any stderr output. */
export function runProcess(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture(script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 && err === "" ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}
