/**
 * A temp project as a user has it: its own folder with `node_modules/errand` (a symlink to this repo),
 * an `errand.config.ts`, and the `errand` bin spawned with the project as cwd.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../support/temp.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface Project {
  readonly dir: string;
  readonly db: string;
  write(name: string, text: string): void;
}

export function createProject(config: string, files: Readonly<Record<string, string>> = {}): Project {
  const dir = tempDir("errand-cli-");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO, join(dir, "node_modules", "errand"), "dir");
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  write("package.json", JSON.stringify({ name: "cli-test-project", type: "module", private: true }));
  write("errand.config.ts", config);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, db: join(dir, "errand.db"), write };
}

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Spawns `errand <args>` in the project; `collect()` resolves when it exits. */
export function spawnErrand(project: Project, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const child = spawn(process.execPath, [join(project.dir, "node_modules", "errand", "bin", "errand.js"), ...args], {
    cwd: project.dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) => {
    child.on("exit", (code) => {
      live.delete(child);
      // let the pipes drain
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    collect: () => done,
  };
}

export function errand(project: Project, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<Result> {
  return spawnErrand(project, args, env).collect();
}
