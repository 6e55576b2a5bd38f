/**
 * Plain-text tables for bench output (also valid Markdown, so they paste into docs/PERFORMANCE.md).
 */

/** Prints a Markdown table with a title line above it; the first `leftColumns` columns are text (left-aligned), the rest numbers. */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const sep = `|${widths.map((w, i) => (i < leftColumns ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(sep);
  for (const r of rows) console.log(line(r));
}

/** Prints one line describing the machine and the run, to head every bench's output. */
export function printRunHeader(name: string, details: Readonly<Record<string, string | number>>): void {
  const parts = Object.entries(details).map(([k, v]) => `${k}=${v}`);
  console.log(`${name}: ${parts.join(" ")}`);
}
