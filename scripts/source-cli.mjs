// Runs the CLI from source (used by bin/errand.js inside the repository; not part of the package).
// tsx compiles the TypeScript, and the "errand-source" export condition makes `import "errand"`
// (in tests, examples and configs) resolve to src/ like the CLI itself, instead of a built dist/.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

register(new URL("./source-condition.mjs", import.meta.url));
registerTsx();
await import("../src/cli/main.ts");
