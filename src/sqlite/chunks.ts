/**
 * Multi-row statements are prepared once per row count and cached for the connection's life. Rows
 * are cut into chunks of 64 and a remainder in powers of two (64, 32, 4 for 100 rows), so at most
 * seven shapes of each statement are ever prepared however batch sizes vary.
 */
export const MAX_CHUNK = 64;

/** [start, size] of each chunk of `total` rows. */
export function chunks(total: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  while (start < total) {
    const left = total - start;
    const size = left >= MAX_CHUNK ? MAX_CHUNK : 2 ** Math.floor(Math.log2(left));
    out.push([start, size]);
    start += size;
  }
  return out;
}
