import type { RunStatus } from "./types.ts";

/** JSON text of a finished child run as its parent's wait step stores it: `{ ok, id, output | error }`. */
export function childResultJson(id: string, status: RunStatus, output: string | null, error: string | null): string {
  const idJson = JSON.stringify(id);
  if (status === "completed") return `{"ok":true,"id":${idJson},"output":${output ?? "null"}}`;
  const err = error ?? JSON.stringify({ name: "Error", message: `child run ${status}` });
  return `{"ok":false,"id":${idJson},"error":${err}}`;
}
