/** What every command gets: output helpers and a way to open the engine from the config. */
import type { Command } from "commander";
import type { Engine } from "../engine/types.ts";
import { loadConfig, openEngine, type LoadedConfig } from "./config.ts";
import { createOut, type Out } from "./output.ts";

export interface Session {
  readonly out: Out;
  /** Loads the config (once). */
  config(): Promise<LoadedConfig>;
  /** Opens the engine, runs `fn`, and closes the engine whatever happens. */
  withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T>;
}

export function createSession(program: Command): Session {
  const out = createOut();
  let loaded: Promise<LoadedConfig> | null = null;
  const config = () => (loaded ??= loadConfig(program.opts<{ config?: string }>().config));
  return {
    out,
    config,
    async withEngine(fn) {
      const engine = await openEngine(await config());
      try {
        return await fn(engine);
      } finally {
        await engine.close().catch(() => {});
      }
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once with code 130. */
export function untilSignal(onSignal?: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (signal: NodeJS.Signals) => {
      if (seen) {
        process.stderr.write(`errand: second ${signal}, exiting without waiting\n`);
        process.exit(130);
      }
      seen = true;
      onSignal?.(signal);
      resolve(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
}
