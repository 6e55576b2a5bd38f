/** `errand tasks`, `errand schedules`, `errand migrate`, `errand prune`, `errand dashboard`. */
import type { Command } from "commander";
import { formatDuration, parseDuration } from "../duration.ts";
import { CliError } from "../errors.ts";
import { table, timeText } from "../output.ts";
import { untilSignal, type Session } from "../session.ts";

export function registerAdminCommands(program: Command, session: Session): void {
  program
    .command("tasks")
    .description("List the tasks of the config: ids, titles, descriptions, queues, schedules.")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await session.config();
      const tasks = config.tasks.map((t) => ({
        id: t.id,
        title: t.options.title ?? null,
        description: t.options.description ?? null,
        queue: t.options.queue?.name ?? t.id,
        concurrencyLimit: t.options.queue?.concurrencyLimit ?? null,
        schedule: t.options.schedule === undefined ? null : typeof t.options.schedule === "string" ? { cron: t.options.schedule, timezone: null } : { cron: t.options.schedule.cron, timezone: t.options.schedule.timezone ?? null },
      }));
      if (opts.json === true) return session.out.json(tasks);
      if (tasks.length === 0) return session.out.line(`no tasks in ${config.path}`);
      const c = session.out.color;
      session.out.line(
        table(
          ["ID", "TITLE", "QUEUE", "SCHEDULE", "DESCRIPTION"],
          tasks.map((t) => [
            c.bold(t.id),
            t.title ?? "-",
            t.concurrencyLimit !== null ? `${t.queue} (limit ${t.concurrencyLimit})` : t.queue,
            t.schedule === null ? "-" : `${t.schedule.cron}${t.schedule.timezone !== null ? ` ${t.schedule.timezone}` : ""}`,
            t.description ?? "",
          ]),
          session.out,
        ),
      );
    });

  const schedules = program
    .command("schedules")
    .description("List cron schedules (declared on tasks, or made with engine.schedules.create) and their next fire times.")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      await session.withEngine(async (engine) => {
        const list = await engine.schedules.list();
        if (opts.json === true) return session.out.json(list);
        if (list.length === 0) {
          const declared = [...engine.tasks.values()].filter((t) => t.options.schedule !== undefined).length;
          return session.out.line(declared > 0 ? `no schedules stored yet (${declared} declared; a worker registers them when it starts)` : "no schedules");
        }
        session.out.line(
          table(
            ["ID", "TASK", "CRON", "TIMEZONE", "NEXT", "LAST", "SOURCE"],
            list.map((s) => [s.id, s.taskId, s.cron, s.timezone ?? "-", timeText(s.nextFireAt), timeText(s.lastFireAt), s.source]),
            session.out,
          ),
        );
      });
    });

  schedules
    .command("delete <id>")
    .description("Delete a schedule (a declared one comes back when a worker starts while the task still declares it).")
    .action(async (id: string) => {
      await session.withEngine(async (engine) => {
        if (!(await engine.schedules.delete(id))) throw new CliError(`no schedule with id "${id}" (see: errand schedules)`);
        session.out.line(`deleted schedule ${id}`);
      });
    });

  program
    .command("migrate")
    .description("Create or upgrade the database tables (every command also does this on demand).")
    .action(async () => {
      await session.withEngine(async (engine) => {
        session.out.line(`database is up to date: ${engine.store.name}`);
      });
    });

  program
    .command("prune")
    .description("Delete finished runs (with their steps and logs) that finished more than --older-than ago.")
    .requiredOption("--older-than <duration>", "e.g. 12h, 7d, 4w")
    .option("--json", "print JSON { deleted }")
    .action(async (opts: { olderThan: string; json?: boolean }) => {
      const olderThanMs = parseDuration(opts.olderThan, "--older-than");
      await session.withEngine(async (engine) => {
        const deleted = await engine.prune({ olderThanMs });
        if (opts.json === true) session.out.json({ deleted });
        else session.out.line(`pruned ${deleted} run${deleted === 1 ? "" : "s"} finished more than ${formatDuration(olderThanMs)} ago`);
      });
    });

  program
    .command("dashboard")
    .description("Serve the web dashboard (binds 127.0.0.1 unless --host is given) until Ctrl-C.")
    .option("-p, --port <port>", "TCP port (0 = any free port)", "4600")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--token <token>", "require this token (default: $ERRAND_DASHBOARD_TOKEN)")
    .option("--public-origin <url>", "the origin browsers use behind a reverse proxy, e.g. https://ops.example.com")
    .option("--trust-proxy", "believe the proxy's X-Forwarded-Proto/Host/For headers")
    .action(async (opts: { port: string; host: string; token?: string; publicOrigin?: string; trustProxy?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be an integer from 0 to 65535, got "${opts.port}"`);
      const dashboard = (await import("../../dashboard/index.ts").catch(() => null)) as { serveDashboard?: unknown } | null;
      if (dashboard === null || typeof dashboard.serveDashboard !== "function") throw new CliError("errand dashboard is not available yet in this version");
      const serve = dashboard.serveDashboard as typeof import("../../dashboard/index.ts").serveDashboard;
      const token = opts.token ?? process.env["ERRAND_DASHBOARD_TOKEN"];
      await session.withEngine(async (engine) => {
        const server = await serve({
          engine, port, host: opts.host,
          ...(token !== undefined && token !== "" ? { token } : {}),
          ...(opts.publicOrigin !== undefined ? { publicOrigin: opts.publicOrigin } : {}),
          ...(opts.trustProxy === true ? { trustProxy: true } : {}),
        });
        session.out.line(`errand dashboard: ${server.url}${token !== undefined && token !== "" ? " (token required)" : ""} — Ctrl-C to stop`);
        await untilSignal();
        await server.close();
      });
    });
}
