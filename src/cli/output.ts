/** Terminal output: colours only on a TTY (and not with NO_COLOR), aligned tables, JSON for scripts. */
import pc from "picocolors";
import type { RunStatus } from "../store/types.ts";
import { redactText } from "../store/redact.ts";

export interface Out {
  readonly color: ReturnType<typeof pc.createColors>;
  readonly tty: boolean;
  line(text?: string): void;
  err(text: string): void;
  json(value: unknown): void;
}

export function createOut(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Out {
  const tty = stdout.isTTY === true;
  const useColor = tty && !("NO_COLOR" in process.env) && process.env["TERM"] !== "dumb";
  return {
    color: pc.createColors(useColor),
    tty,
    line: (text = "") => void stdout.write(text + "\n"),
    err: (text) => void stderr.write(redactText(text) + "\n"),
    json: (value) => void stdout.write(JSON.stringify(value, null, 2) + "\n"),
  };
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, "").length;

/** Left-aligned columns; `rows` may contain coloured text. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], out: Out): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  const pad = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c)))).join("  ").trimEnd();
  return [out.color.bold(pad(headers)), ...rows.map(pad)].join("\n");
}

export function statusText(status: RunStatus, out: Out): string {
  const c = out.color;
  switch (status) {
    case "completed":
      return c.green(status);
    case "failed":
    case "expired":
      return c.red(status);
    case "canceled":
      return c.gray(status);
    case "running":
      return c.cyan(status);
    case "waiting":
    case "delayed":
      return c.yellow(status);
    default:
      return status;
  }
}

/** `2026-01-02 10:11:12` in local time (ISO in JSON output). */
export function timeText(d: Date | null): string {
  if (d === null) return "-";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
