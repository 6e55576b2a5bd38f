#!/usr/bin/env node
// The `errand` command. An installed package runs the compiled CLI in dist/; inside the Errand
// repository (where src/ sits next to this file and dist/ is not built) it runs the TypeScript
// source through tsx instead, so that `node bin/errand.js` needs no build step while developing.
import { existsSync } from "node:fs";

if (existsSync(new URL("../src/cli/main.ts", import.meta.url))) {
  await import("../scripts/source-cli.mjs");
} else {
  await import("../dist/cli/main.js");
}
