/** `errand events send <name>` and `errand tokens complete <id>` (docs/CONTRACT.md §8). */
import type { Command } from "commander";
import type { TokenRefusal } from "../../engine/types.ts";
import { CliError } from "../errors.ts";
import { payloadFrom } from "../payload.ts";
import type { Session } from "../session.ts";

const DATA_HELP = `
Data: --payload '<json>', or fields as --key value pairs (values that parse as JSON are JSON,
the rest strings; dotted keys nest: --user.id 7 gives {"user":{"id":7}}). None: null.`;

const REFUSED: Readonly<Record<TokenRefusal, string>> = {
  notFound: "there is no such token (pruned, or never created)",
  alreadyCompleted: "it was completed already (the first completion counts)",
  expired: "it timed out before it was completed",
  runFinished: "the run that waited for it has finished",
};

export function registerEventCommands(program: Command, session: Session): void {
  const events = program.command("events").description("Events (subcommand: send).");
  events
    .command("send <name>")
    .description("Send an event: starts a run of every task listening to it (`on`) and wakes the runs waiting for it.")
    .option("--payload <json>", "payload as JSON")
    .option("--idempotency-key <key>", "sending this key again (same event name) starts and wakes nothing")
    .option("--json", "print JSON { id, created, runs, woken }")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", DATA_HELP.replace("Data:", "Payload:") + "\n\nExample:\n  errand events send order.paid --orderId o-1 --amount 12")
    .action(async (name: string, opts: { payload?: string; idempotencyKey?: string; json?: boolean }, cmd: Command) => {
      const payload = payloadFrom(opts.payload, cmd.args.slice(1)) ?? null;
      await session.withEngine(async (engine) => {
        const sent = await engine.sendEvent(name, payload, opts.idempotencyKey === undefined ? undefined : { idempotencyKey: opts.idempotencyKey });
        if (opts.json === true) return session.out.json(sent);
        if (!sent.created) {
          session.out.line(`already sent (idempotency key): event ${sent.id}; nothing started or woken`);
          return;
        }
        const runs = sent.runs.map((r) => `${r.taskId} ${r.id}`);
        session.out.line(`sent event ${sent.id}: started ${runs.length} run${runs.length === 1 ? "" : "s"}${runs.length > 0 ? ` (${runs.join(", ")})` : ""}, woke ${sent.woken}`);
      });
    });

  const tokens = program.command("tokens").description("Waitpoint tokens (subcommand: complete).");
  tokens
    .command("complete <id>")
    .description("Complete a waitpoint token: the run waiting for it resumes with the data. Only the first completion counts.")
    .option("--payload <json>", "the data, as JSON")
    .option("--json", "print JSON { completed, reason? }")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", DATA_HELP + "\n\nExample:\n  errand tokens complete wpt_… --approved true --by alice")
    .action(async (id: string, opts: { payload?: string; json?: boolean }, cmd: Command) => {
      const data = payloadFrom(opts.payload, cmd.args.slice(1)) ?? null;
      await session.withEngine(async (engine) => {
        const result = await engine.tokens.complete(id, data);
        if (opts.json === true) {
          session.out.json(result.completed ? { completed: true, runId: result.token.runId } : { completed: false, reason: result.reason });
          if (!result.completed) process.exitCode = 1;
          return;
        }
        if (!result.completed) throw new CliError(`token not completed: ${REFUSED[result.reason]}`);
        session.out.line(`completed token "${result.token.key}" of run ${result.token.runId}: it resumes`);
      });
    });
}
