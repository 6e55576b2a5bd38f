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
import { register } from "node:module";
import { pathToFileURL } from "node:url";
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
