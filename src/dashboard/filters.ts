/** Parses the runs-list query string (`status`, `task`, `tag`, `q`, `cursor`, `limit`) shared by page and API. */
import { RUN_STATUSES, type RunStatus } from "../store/types.ts";
import type { ListRunsOptions } from "../engine/types.ts";

export interface RunFilters {
  /** Empty = any status; several = any of them (`status=queued,delayed`). */
  readonly status: readonly RunStatus[];
  readonly task: string;
  readonly tag: string;
  /** Id prefix search. */
  readonly q: string;
  readonly cursor: string | null;
  readonly limit: number;
}

export type ParsedFilters = { readonly ok: true; readonly filters: RunFilters } | { readonly ok: false; readonly error: string };

const MAX_TEXT = 200;

export function parseRunFilters(params: URLSearchParams): ParsedFilters {
  const status = (params.get("status") ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of status) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) {
      return { ok: false, error: `unknown status "${s}"; expected one of ${RUN_STATUSES.join(", ")}` };
    }
  }
  const text = (name: string) => (params.get(name) ?? "").trim();
  for (const name of ["task", "tag", "q", "cursor"]) {
    if (text(name).length > MAX_TEXT) return { ok: false, error: `"${name}" is longer than ${MAX_TEXT} characters` };
  }
  const q = text("q").toLowerCase();
  if (q !== "" && !/^[0-9a-z-]+$/.test(q)) return { ok: false, error: `"q" must be the start of a run id (letters, digits, dashes)` };
  const limitText = params.get("limit");
  const limit = limitText === null || limitText === "" ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return { ok: false, error: `"limit" must be an integer from 1 to 500` };
  return {
    ok: true,
    filters: { status: [...new Set(status)] as RunStatus[], task: text("task"), tag: text("tag"), q, cursor: text("cursor") || null, limit },
  };
}

export function toListOptions(f: RunFilters): ListRunsOptions {
  return {
    ...(f.status.length > 0 ? { status: f.status } : {}),
    ...(f.task !== "" ? { taskId: f.task } : {}),
    ...(f.tag !== "" ? { tag: f.tag } : {}),
    ...(f.q !== "" ? { idPrefix: f.q } : {}),
    limit: f.limit,
    cursor: f.cursor,
  };
}

/** The query string of the filters (without the cursor unless given). */
export function filterQuery(f: RunFilters, cursor: string | null = null): string {
  const p = new URLSearchParams();
  if (f.status.length > 0) p.set("status", f.status.join(","));
  if (f.task !== "") p.set("task", f.task);
  if (f.tag !== "") p.set("tag", f.tag);
  if (f.q !== "") p.set("q", f.q);
  if (f.limit !== 50) p.set("limit", String(f.limit));
  if (cursor !== null) p.set("cursor", cursor);
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}
