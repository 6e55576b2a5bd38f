/** Triggering a task from the dashboard: parses the JSON payload and tags, validates with the task's schema. */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { AnyTask, Engine, RunHandle } from "../engine/types.ts";
import { redactText } from "../store/redact.ts";

export interface TriggerInput {
  /** The payload, or the JSON text of it (from a form; empty text means `{}`). */
  readonly payload: { readonly text: string } | { readonly value: unknown };
  readonly tags: readonly string[];
}

/** Splits a comma-separated tag field. */
export function parseTags(text: string): string[] {
  return text.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

export type TriggerOutcome =
  | { readonly ok: true; readonly handle: RunHandle }
  | { readonly ok: false; readonly status: number; readonly errors: readonly string[] };

function issuePath(issue: StandardSchemaV1.Issue): string {
  if (!issue.path || issue.path.length === 0) return "";
  return issue.path.map((p) => String(typeof p === "object" && p !== null ? p.key : p)).join(".") + ": ";
}

/** Parses the payload, checks it with the schema (listing every issue) and triggers the run. */
export async function triggerFromDashboard(engine: Engine, task: AnyTask, input: TriggerInput): Promise<TriggerOutcome> {
  let payload: unknown;
  if ("text" in input.payload) {
    const text = input.payload.text.trim();
    try {
      payload = text === "" ? {} : JSON.parse(text);
    } catch (error) {
      return { ok: false, status: 400, errors: [`Payload is not valid JSON: ${(error as Error).message}`] };
    }
  } else {
    payload = input.payload.value;
  }
  const { tags } = input;
  if (tags.some((t) => t.length > 100)) return { ok: false, status: 400, errors: ["Tags must be at most 100 characters long"] };
  const schema = task.options.schema;
  if (schema !== undefined) {
    const result = await schema["~standard"].validate(payload);
    if (result.issues !== undefined) {
      return { ok: false, status: 422, errors: result.issues.map((i) => `${issuePath(i)}${i.message}`) };
    }
  }
  try {
    const handle = await engine.trigger(task, payload, tags.length > 0 ? { tags } : {});
    return { ok: true, handle };
  } catch (error) {
    const e = error as { message?: unknown; issues?: unknown };
    const issues = Array.isArray(e.issues) ? e.issues.map((i: StandardSchemaV1.Issue) => `${issuePath(i)}${i.message}`) : [];
    return { ok: false, status: 422, errors: [redactText(String(e.message ?? error)), ...issues] };
  }
}
