/**
 * One string object per distinct value for the few values every row repeats (task ids, queue
 * names): a driver makes a new string for each row it reads, and a claimed run buffered by a worker
 * kept its own copies alive, ~50 B per run across young-generation GCs (docs/PERFORMANCE.md, "Memory").
 * The table is bounded: past {@link MAX_INTERNED} values it starts again (values stay correct, only
 * shared less).
 */
const MAX_INTERNED = 512;
let table = new Map<string, string>();

export function intern(value: string): string {
  const known = table.get(value);
  if (known !== undefined) return known;
  if (table.size >= MAX_INTERNED) table = new Map();
  table.set(value, value);
  return value;
}
