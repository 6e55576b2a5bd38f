/**
 * The JSON API under `<basePath>/api/…` (same auth as the pages; POSTs need the CSRF token when
 * authenticated by the session cookie):
 *   GET  /api/stats · /api/metrics?minutes=60 · /api/runs?status&task&tag&q&cursor&limit
 *   GET  /api/runs/:id (run, steps, logs) · /api/tasks · /api/schedules
 *   POST /api/runs/:id/cancel · /api/runs/:id/replay · /api/tasks/:id/trigger {payload, tags?}
 * GET answers carry an ETag and answer 304 to a matching If-None-Match (cheap polling).
 */
import type { Engine } from "../engine/types.ts";
import { parseRunFilters, toListOptions } from "./filters.ts";
import { jsonError, jsonResponse } from "./respond.ts";
import { triggerFromDashboard } from "./trigger.ts";

export const RUN_ID = /^[0-9A-Za-z_-]{1,100}$/;

export async function apiGet(engine: Engine, req: Request, parts: readonly string[], url: URL): Promise<Response> {
  const [what, id, extra] = parts;
  if (what === "stats" && parts.length === 1) return jsonResponse(req, await engine.runs.stats());
  if (what === "metrics" && parts.length === 1) {
    const minutes = Number(url.searchParams.get("minutes") ?? "60");
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) return jsonError(400, `"minutes" must be an integer from 1 to 1440`);
    const since = Math.floor(Date.now() / 60_000) * 60_000 - (minutes - 1) * 60_000;
    return jsonResponse(req, { since, bucketMs: 60_000, buckets: await engine.runs.metrics({ since: new Date(since), bucketMs: 60_000 }) });
  }
  if (what === "runs" && parts.length === 1) {
    const parsed = parseRunFilters(url.searchParams);
    if (!parsed.ok) return jsonError(400, parsed.error);
    try {
      return jsonResponse(req, await engine.runs.list(toListOptions(parsed.filters)));
    } catch (error) {
      if (parsed.filters.cursor === null) throw error;
      return jsonError(400, "invalid cursor");
    }
  }
  if (what === "runs" && id !== undefined && extra === undefined && parts.length === 2) {
    if (!RUN_ID.test(id)) return jsonError(400, "malformed run id");
    const run = await engine.runs.get(id);
    if (run === null) return jsonError(404, `no run ${id}`);
    const [steps, logs] = await Promise.all([engine.runs.steps(id), engine.runs.logs(id)]);
    return jsonResponse(req, { run, steps, logs });
  }
  if (what === "tasks" && parts.length === 1) {
    const tasks = [...engine.tasks.values()].map((t) => ({
      id: t.id,
      title: t.options.title ?? null,
      description: t.options.description ?? null,
      queue: t.options.queue?.name ?? t.id,
      schedule: t.options.schedule ?? null,
      hasSchema: t.options.schema !== undefined,
    }));
    return jsonResponse(req, { tasks });
  }
  if (what === "schedules" && parts.length === 1) return jsonResponse(req, { schedules: await engine.schedules.list() });
  return jsonError(404, "no such API route");
}

/** `body` is the parsed JSON body, or undefined when there was none. */
export async function apiPost(engine: Engine, parts: readonly string[], body: unknown): Promise<Response> {
  const [what, id, action] = parts;
  if (what === "runs" && id !== undefined && parts.length === 3) {
    if (!RUN_ID.test(id)) return jsonError(400, "malformed run id");
    if (action === "cancel") {
      if ((await engine.runs.get(id)) === null) return jsonError(404, `no run ${id}`);
      return jsonResponse(null, { canceled: await engine.runs.cancel(id) });
    }
    if (action === "replay") {
      if ((await engine.runs.get(id)) === null) return jsonError(404, `no run ${id}`);
      const handle = await engine.runs.replay(id);
      return jsonResponse(null, { id: handle.id, taskId: handle.taskId }, 201);
    }
  }
  if (what === "tasks" && id !== undefined && action === "trigger" && parts.length === 3) {
    const task = engine.tasks.get(id);
    if (task === undefined) return jsonError(404, `no task ${id}`);
    const shape = `{"payload": …, "tags": […]}`;
    if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
      return jsonError(400, `the trigger body must be a JSON object ${shape}, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`);
    }
    const b = (body ?? {}) as { payload?: unknown; tags?: unknown };
    const unknown = Object.keys(b).find((k) => k !== "payload" && k !== "tags");
    if (unknown !== undefined) return jsonError(400, `unknown field ${JSON.stringify(unknown)} in the trigger body (it is ${shape})`);
    if (b.tags !== undefined && (!Array.isArray(b.tags) || b.tags.some((t) => typeof t !== "string"))) {
      return jsonError(400, `"tags" must be an array of strings`);
    }
    const outcome = await triggerFromDashboard(engine, task, {
      payload: { value: b.payload ?? {} },
      tags: (b.tags ?? []) as string[],
    });
    if (!outcome.ok) return jsonError(outcome.status, outcome.errors[0] ?? "not triggered", {}, { issues: outcome.errors });
    return jsonResponse(null, { id: outcome.handle.id, taskId: outcome.handle.taskId, created: outcome.handle.created }, 201);
  }
  return jsonError(404, "no such API route");
}
