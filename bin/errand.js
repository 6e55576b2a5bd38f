#!/usr/bin/env node
// The `errand` command: runs the TypeScript CLI from source through tsx (no build step).
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");
