/**
 * The database drivers are optional peer dependencies: a store loads its driver the first time it
 * needs it (never when `errand` or the store's entry point is imported), and a missing driver is one
 * clear error naming the package to install.
 */
import { createRequire } from "node:module";

/** A store needs a driver package (an optional peer dependency of Errand) that is not installed. */
export class MissingDriverError extends Error {
  override readonly name = "MissingDriverError";
  /** The npm package to install, e.g. `"better-sqlite3"` or `"pg"`. */
  readonly packageName: string;

  constructor(store: string, packageName: string, options?: { cause?: unknown }) {
    super(`${store} needs the "${packageName}" package, which is not installed: run \`npm install ${packageName}\``, options);
    this.packageName = packageName;
  }
}

// Resolved from this file, i.e. from where Errand is installed, like a static import would be.
const require = createRequire(import.meta.url);

/**
 * Loads a driver package (both drivers are CommonJS, so this is synchronous: stores open synchronously).
 * A package that is absent throws MissingDriverError; one that is present but fails to load (say, a
 * native module built for another Node.js version) throws an Error saying so, with the cause.
 */
export function loadDriver(store: string, packageName: string): unknown {
  try {
    require.resolve(packageName);
  } catch (error) {
    throw new MissingDriverError(store, packageName, { cause: error });
  }
  try {
    return require(packageName) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${store}: the "${packageName}" package is installed but failed to load: ${reason}`, { cause: error });
  }
}
