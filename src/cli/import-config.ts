/**
 * Importing an `errand.config.*` file in any Node.js project: ESM (`"type": "module"`), CommonJS
 * (npm's default `package.json`), or a folder with no `package.json` at all.
 *
 * - `.js` and `.mjs` are imported as they are (a `.js` file in a CommonJS project is CommonJS, and its
 *   `require("errand")` gets the same module instances as the CLI: Node.js ≥ 20.19 `require(esm)`).
 * - `.ts` and `.mts` need tsx (an optional peer dependency, needed only for a TypeScript config). Its
 *   ESM hooks are registered for the CLI process, plus one hook of ours that makes every TypeScript
 *   file outside node_modules an ES module, whatever the nearest package.json says. Without it a `.ts`
 *   file in a CommonJS project is compiled to CommonJS, and then either fails to load ("Cannot
 *   require() ES Module … in a cycle") or, with tsx's CommonJS hooks, loads a second copy of Errand
 *   whose tasks the CLI's engine does not recognise (tsx's scoped `tsImport` has the same problem).
 * - Without tsx, a TypeScript config is imported natively, which Node.js ≥ 22.18 can do for files that
 *   use only erasable TypeScript syntax; when that fails too, the error says to install tsx.
 */
import { spawnSync } from "node:child_process";
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { describeValue } from "./config-shape.ts";
import { CliError } from "./errors.ts";

/** A resolve hook (run in Node's loader thread): TypeScript files outside node_modules are ESM. */
const TS_AS_ESM_HOOK = `
export async function resolve(specifier, context, nextResolve) {
  const r = await nextResolve(specifier, context);
  if (r.url.startsWith("file:") && /\\.m?ts$/.test(new URL(r.url).pathname) && !r.url.includes("/node_modules/")) {
    return { ...r, format: "module" };
  }
  return r;
}`;

let registered: Promise<boolean> | null = null;

const isTypeScript = (path: string) => /\.[cm]?ts$/.test(path);

export async function importConfig(path: string): Promise<Record<string, unknown>> {
  const settled = watchUnsettled(path);
  try {
    return await importFile(path);
  } finally {
    settled();
  }
}

async function importFile(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  if (!isTypeScript(path) || (await registerTypeScript())) return (await import(url)) as Record<string, unknown>;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    throw new CliError(
      `${path} is TypeScript: install tsx to load it (\`npm install --save-dev tsx\`), or write the config as errand.config.mjs`,
      { cause: error },
    );
  }
}

/** Registers tsx's ESM hooks and ours once; false when tsx is not installed. */
function registerTypeScript(): Promise<boolean> {
  return (registered ??= (async () => {
    let tsx: { register(): unknown };
    try {
      tsx = (await import("tsx/esm/api")) as typeof tsx;
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return false;
      throw error;
    }
    register(`data:text/javascript,${encodeURIComponent(TS_AS_ESM_HOOK)}`);
    tsx.register();
    return true;
  })());
}

/** After this long still loading, the CLI says so (and keeps waiting: a slow top-level await may be fine). */
const SLOW_LOAD_MS = 10_000;

/**
 * A config whose top-level await never settles leaves Node.js with nothing to do: it exits with code
 * 13 and no word. Until `path` has loaded, say what happened instead, and exit 1.
 */
function watchUnsettled(path: string): () => void {
  const onExit = (code: number) => {
    // Node.js reports 0 here (13 on some versions); any other code is a process.exit() of the config's own.
    if (code !== 0 && code !== 13) return;
    process.stderr.write(
      `errand: ${path} never finished loading: a top-level await in it (or in a module it imports) waits for a promise that never settles\n`,
    );
    process.exitCode = 1;
  };
  const slow = setTimeout(() => {
    process.stderr.write(`errand: still loading ${path} after ${SLOW_LOAD_MS / 1000} s (a top-level await waiting for something?)\n`);
  }, SLOW_LOAD_MS);
  slow.unref();
  process.on("exit", onExit);
  return () => {
    clearTimeout(slow);
    process.off("exit", onExit);
  };
}

/**
 * What went wrong while importing the config, in one line: the error's message with the line of
 * the config it points at (syntax errors and errors thrown at import), no stack.
 */
export function loadErrorMessage(error: unknown, path: string): string {
  if (!(error instanceof Error)) return `it threw ${typeof error === "object" || typeof error === "function" ? describeValue(error) : String(error)} (not an Error)`;
  // tsx (esbuild): "Transform failed with 1 error:\n/path/errand.config.ts:5:0: ERROR: Expected ..."
  const transform = /:(\d+):(\d+): ERROR: (.*)/.exec(error.message);
  if (transform !== null) return `syntax error at line ${transform[1]}, column ${Number(transform[2]) + 1}: ${transform[3]}`;
  const line = lineInConfig(error.stack ?? "", path) ?? (error instanceof SyntaxError ? syntaxErrorLine(path) : null);
  if (error instanceof SyntaxError) return `syntax error${line === null ? "" : ` at line ${line}`}: ${error.message}`;
  return `${error.message}${line === null ? "" : ` (thrown at line ${line}; --verbose shows the stack)`}`;
}

/** The first line number of the config file named in a stack (as a path or a file: URL). */
function lineInConfig(stack: string, path: string): string | null {
  for (const name of [pathToFileURL(path).href, path]) {
    const at = stack.indexOf(`${name}:`);
    if (at === -1) continue;
    const m = /^:(\d+)/.exec(stack.slice(at + name.length));
    if (m !== null) return m[1]!;
  }
  return null;
}

/**
 * The line of a JavaScript syntax error, which Node.js leaves out of an imported module's error:
 * `node --check` prints it (run only on this error path).
 */
function syntaxErrorLine(path: string): string | null {
  if (isTypeScript(path)) return null;
  const r = spawnSync(process.execPath, ["--check", path], { encoding: "utf8", timeout: 10_000, env: { ...process.env, NODE_OPTIONS: "" } });
  return r.status === 0 ? null : lineInConfig(r.stderr ?? "", path);
}
