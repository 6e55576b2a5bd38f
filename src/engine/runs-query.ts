/**
 * Arguments of the runs API checked before any store call: run ids, and `runs.list` options turned
 * into store parameters. Bad input is a `TypeError` naming the call and the option, the same on
 * every store.
 */
import type { ListRunsParams, RunStatus } from "../store/types.ts";
import { RUN_STATUSES } from "../store/types.ts";
import { checkInt, checkName } from "../vocabulary/validate.ts";
import type { ListRunsOptions } from "./types.ts";

/** Most runs one `runs.list` page returns. */
export const MAX_PAGE_SIZE = 1000;

/** The shape of every run id (a UUID version 7 made by the engine): what a cursor must look like. */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const LIST_OPTIONS = new Set(["status", "taskId", "queue", "tag", "parentRunId", "idPrefix", "limit", "cursor"]);

/** A run id argument: a non-empty string the stores can look up (an unknown id is simply not found). */
export function checkRunId(id: unknown, call: string): string {
  return checkName(id, `${call}: \`id\``);
}

/** `runs.list` options → store parameters; throws a TypeError naming the first bad option. */
export function listParams(options: ListRunsOptions): ListRunsParams {
  const where = "engine.runs.list";
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object such as { status: "failed", limit: 20 }`);
  }
  for (const key of Object.keys(options)) {
    if (!LIST_OPTIONS.has(key)) throw new TypeError(`${where}: unknown option \`${key}\` (known: ${[...LIST_OPTIONS].join(", ")})`);
  }
  const opt = (name: string) => `${where}: option \`${name}\``;
  const params: { -readonly [K in keyof ListRunsParams]: ListRunsParams[K] } = {
    limit: options.limit === undefined ? 50 : checkInt(options.limit, opt("limit"), 1, MAX_PAGE_SIZE),
    cursor: null,
  };
  if (options.status !== undefined) params.status = statuses(options.status, opt("status"));
  for (const name of ["taskId", "queue", "tag", "parentRunId"] as const) {
    if (options[name] !== undefined) params[name] = checkName(options[name], opt(name));
  }
  if (options.idPrefix !== undefined && options.idPrefix !== "") params.idPrefix = checkName(options.idPrefix, opt("idPrefix"));
  if (options.cursor !== undefined && options.cursor !== null) {
    if (typeof options.cursor !== "string" || !RUN_ID.test(options.cursor)) {
      throw new TypeError(`${opt("cursor")} is not a cursor from this API (pass the \`nextCursor\` of a previous page, or null)`);
    }
    params.cursor = options.cursor;
  }
  return params;
}

function statuses(value: unknown, what: string): readonly RunStatus[] {
  const list: readonly unknown[] = typeof value === "string" ? [value] : Array.isArray(value) ? value : [value];
  for (const s of list) {
    if (typeof s !== "string" || !(RUN_STATUSES as readonly string[]).includes(s)) {
      throw new TypeError(`${what}: ${typeof s === "string" ? JSON.stringify(s) : String(s)} is not a run status (known: ${RUN_STATUSES.join(", ")})`);
    }
  }
  return list as readonly RunStatus[];
}
