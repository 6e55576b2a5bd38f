/**
 * The Chromium the dashboard's browser tests drive (through playwright-core), in this order:
 * 1. `ERRAND_CHROMIUM`, when set: the path of any Chromium or Chrome executable;
 * 2. the `@sparticuz/chromium` devDependency (Linux x64/arm64): its npm tarball carries a compressed
 *    headless Chromium that `executablePath()` unpacks to the temp folder (a couple of seconds, once);
 *    nothing is downloaded at run time;
 * 3. a system `chromium` (or `chromium-browser`, `google-chrome`) on the PATH.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface FoundChromium {
  readonly executablePath: string;
  /** Where it came from, for messages. */
  readonly source: string;
}

/**
 * Flags for a headless run as root in a container: no sandbox, no GPU, no background traffic.
 * (playwright-core's `launch()` gives every browser a fresh temporary profile, `--user-data-dir`.)
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(names: readonly string[]): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    for (const name of names) if (dir !== "" && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function fromNpm(): Promise<string | undefined> {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return undefined;
  let chromium: { executablePath(): Promise<string> };
  try {
    chromium = (await import("@sparticuz/chromium")).default;
  } catch {
    return undefined; // not installed (npm ci --omit=dev)
  }
  return await chromium.executablePath();
}

export async function findChromium(): Promise<FoundChromium> {
  const explicit = process.env["ERRAND_CHROMIUM"];
  if (explicit !== undefined && explicit !== "") {
    if (!executable(explicit)) throw new Error(`ERRAND_CHROMIUM=${explicit} is not an executable file`);
    return { executablePath: explicit, source: "ERRAND_CHROMIUM" };
  }
  const npm = await fromNpm();
  if (npm !== undefined) return { executablePath: npm, source: "@sparticuz/chromium" };
  const system = onPath(["chromium", "chromium-browser", "google-chrome"]);
  if (system !== undefined) return { executablePath: system, source: "PATH" };
  throw new Error(
    "no Chromium for the browser tests: `npm ci` installs @sparticuz/chromium (Linux x64/arm64); elsewhere install Chromium or set ERRAND_CHROMIUM to its path",
  );
}
