/** The `errand` command tree (commander). */
import { Command } from "commander";
import { registerAdminCommands } from "./commands/admin.ts";
import { registerEventCommands } from "./commands/events.ts";
import { registerRunCommands } from "./commands/run.ts";
import { registerRunsCommands } from "./commands/runs.ts";
import { registerWorkerCommand } from "./commands/worker.ts";
import { createSession } from "./session.ts";

export function createProgram(): Command {
  const program = new Command("errand")
    .description("Run and operate Errand tasks from a terminal. Reads errand.config.ts (exports { store, tasks }) in the current folder.")
    .option("--config <path>", "config file (default: ./errand.config.ts)")
    .option("--verbose", "on an error, print it in full with its stack and causes (ERRAND_DEBUG=1 does the same)")
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError(true);
  const session = createSession(program);
  registerRunCommands(program, session);
  registerWorkerCommand(program, session);
  registerRunsCommands(program, session);
  registerAdminCommands(program, session);
  registerEventCommands(program, session);
  return program;
}
