/** Durations on the command line: `90s`, `15m`, `12h`, `7d`, `2w`, or plain milliseconds. */
import { CliError } from "./errors.ts";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (m === null) throw new CliError(`${option} must be a duration such as 30m, 12h or 7d (units ms, s, m, h, d, w), got "${text}"`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]!);
}

/** A short human form: `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 10 m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, "0")} m`;
  const h = Math.floor((ms % 86_400_000) / 3_600_000);
  return `${Math.floor(ms / 86_400_000)} d${h > 0 ? ` ${h} h` : ""}`;
}
