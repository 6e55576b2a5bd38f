/**
 * A scratch project that installs the packed tarball, as a user would with
 * `npm install errand-0.1.0.tgz better-sqlite3`, but offline: npm's cache holds every package tarball
 * that `npm ci` fetched for this repository, though not the registry metadata that resolving version
 * ranges needs. So the project gets a package-lock.json that pins the versions this repository's own
 * lockfile pins (with their integrity hashes), and `npm ci --offline` installs from the cache.
 *
 * Install scripts are skipped (`--ignore-scripts`): better-sqlite3's would compile it. Instead its
 * native binary, already built for this Node.js in this repo's node_modules, is copied in, which is
 * what better-sqlite3's own prebuilt-binary step does.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { readJson, REPO, userEnv } from "./pack.ts";
import { tempDir } from "../support/temp.ts";

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

export interface ScratchOptions {
  /** "module" for an ESM project, "commonjs" for npm's default (no "type" field). */
  readonly type: "module" | "commonjs";
  /** Other packages to install next to errand, at the versions this repo's lockfile has. */
  readonly with?: readonly string[];
}

export interface Scratch {
  readonly dir: string;
  write(name: string, text: string): string;
}

/** Where a package required from `from` (a lockfile path like "node_modules/a") is installed. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let base = from; ; ) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut === -1 ? "" : base.slice(0, cut);
  }
}

/** The lockfile entries (from this repo's lockfile) of `names` and everything they depend on. */
function closure(names: readonly string[], packages: Record<string, LockEntry>): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean) => {
    const path = locate(packages, from, name);
    if (path === undefined) {
      if (optional) return;
      throw new Error(`scratch: ${name} (needed by ${from || "the project"}) is not in the repo's package-lock.json`);
    }
    if (out[path] !== undefined) return;
    const entry = packages[path]!;
    out[path] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
  };
  for (const name of names) visit("", name, false);
  return out;
}

function integrity(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

/** A folder to write files into (parent folders are made as needed). */
export function folder(dir: string): Scratch {
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
  };
}

export async function createScratch(tarball: string, options: ScratchOptions): Promise<Scratch> {
  const scratch = folder(tempDir(`errand-scratch-${options.type}-`));
  const { dir, write } = scratch;
  const packed = readJson<{ version: string; dependencies: Record<string, string>; peerDependencies: Record<string, string> }>(
    join(REPO, "package.json"),
  );
  const repoLock = readJson<Lockfile>(join(REPO, "package-lock.json")).packages;
  const extra = options.with ?? [];
  const spec = `file:${relative(dir, tarball)}`;
  const dependencies: Record<string, string> = { errand: spec };
  for (const name of extra) dependencies[name] = repoLock[`node_modules/${name}`]!.version!;

  const manifest: Record<string, unknown> = { name: `scratch-${options.type}`, version: "1.0.0", private: true, dependencies };
  if (options.type === "module") manifest["type"] = "module";
  const errandEntry = readJson<LockEntry>(join(REPO, "package.json"));
  const lock = {
    name: manifest["name"],
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: manifest["name"], version: "1.0.0", dependencies },
      "node_modules/errand": {
        version: packed.version,
        resolved: spec,
        integrity: integrity(tarball),
        license: "MIT",
        dependencies: packed.dependencies,
        bin: { errand: "bin/errand.js" },
        engines: errandEntry["engines"],
        peerDependencies: packed.peerDependencies,
        peerDependenciesMeta: errandEntry.peerDependenciesMeta,
      },
      ...closure([...Object.keys(packed.dependencies), ...extra], repoLock),
    },
  };
  write("package.json", JSON.stringify(manifest, null, 2));
  write("package-lock.json", JSON.stringify(lock, null, 2));
  await promisify(execFile)("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, env: userEnv(), timeout: 180_000 });
  if (extra.includes("better-sqlite3")) {
    const binary = join("build", "Release", "better_sqlite3.node");
    mkdirSync(join(dir, "node_modules", "better-sqlite3", "build", "Release"), { recursive: true });
    copyFileSync(join(REPO, "node_modules", "better-sqlite3", binary), join(dir, "node_modules", "better-sqlite3", binary));
  }
  return scratch;
}
