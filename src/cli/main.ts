/** Entry point of the `errand` bin: parses the command line, runs the command, sets the exit code. */
import { inspect } from "node:util";
import { redactText } from "../store/redact.ts";
import { CliError } from "./errors.ts";
import { createProgram } from "./program.ts";

async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`errand: ${redactText(message)}\n`);
    const verbose = argv.includes("--verbose") || Boolean(process.env["ERRAND_DEBUG"]);
    if (verbose && error instanceof Error) process.stderr.write(redactText(inspect(error, { depth: 6 })) + "\n");
    return error instanceof CliError ? error.exitCode : 1;
  }
}

// Exit explicitly: a store or timer left open by user code must not keep the command alive.
process.exit(await main(process.argv.slice(2)));
