/**
 * `npm pack` of this repository, as a user gets it from the registry. The pack runs in a temp copy of
 * the files the package is built from (with this repo's node_modules linked in for tsc), so the
 * `prepack` build writes its dist/ there and never leaves a stale dist/ in the working tree.
 */
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../support/temp.ts";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** What the build and `files` need: everything else in the repo must not matter to the package. */
const SOURCES = ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "src", "bin", "docs"];

export interface Packed {
  /** Absolute path of the .tgz file. */
  readonly tarball: string;
  /** Paths inside the package, e.g. "dist/index.js". */
  readonly files: readonly string[];
  readonly size: number;
  readonly unpackedSize: number;
}

/** An environment for child processes without the repo's source condition (see scripts/run-tests.mjs). */
export function userEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", NO_COLOR: "1", ...extra };
  delete env["NODE_OPTIONS"];
  // npm sets these for scripts it runs (`npm test`); a nested npm must use the scratch project's own.
  for (const key of Object.keys(env)) if (key.startsWith("npm_package_") || key === "npm_lifecycle_event" || key === "npm_lifecycle_script") delete env[key];
  return env;
}

export function packRepo(): Packed {
  const copy = tempDir("errand-pack-src-");
  for (const name of SOURCES) cpSync(join(REPO, name), join(copy, name), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(copy, "node_modules"), "dir");
  const out = tempDir("errand-pack-");
  const json = execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
    cwd: copy,
    env: userEnv(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });
  // npm prints the prepack script's output before the JSON array.
  const report = JSON.parse(json.slice(json.search(/^\[/m))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const entry = report[0]!;
  return { tarball: join(out, entry.filename), files: entry.files.map((f) => f.path), size: entry.size, unpackedSize: entry.unpackedSize };
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
