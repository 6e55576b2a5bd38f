/** Entry point of the `errand` bin: parses the command line, runs the command, sets the exit code. */
import { CliError } from "./errors.ts";
import { createProgram } from "./program.ts";

async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`errand: ${message}\n`);
    if (process.env["ERRAND_DEBUG"] && error instanceof Error && error.stack) process.stderr.write(error.stack + "\n");
    return error instanceof CliError ? error.exitCode : 1;
  }
}

// Exit explicitly: a store or timer left open by user code must not keep the command alive.
process.exit(await main(process.argv.slice(2)));
