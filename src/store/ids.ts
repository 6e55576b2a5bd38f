import { randomFillSync } from "node:crypto";

let lastMs = 0;
let seq = 0;
// Random bytes are drawn 4 KiB at a time: one syscall per 512 ids instead of one per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random8(): Buffer {
  if (offset + 8 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + 8);
  offset += 8;
  return out;
}

/**
 * A time-ordered unique id (UUID version 7 layout, lowercase hex with dashes). Ids created later in
 * the same process sort after earlier ones, also within one millisecond, so they work as keyset
 * pagination keys and as FIFO tie-breakers.
 */
export function newId(now: number = Date.now()): string {
  if (now <= lastMs) {
    seq++;
    if (seq > 0xfff) {
      lastMs++;
      seq = 0;
    }
  } else {
    lastMs = now;
    seq = 0;
  }
  const ms = lastMs.toString(16).padStart(12, "0");
  const rand = random8();
  const randA = (0x7000 | seq).toString(16);
  const variant = ((rand[0]! & 0x3f) | 0x80).toString(16).padStart(2, "0");
  const tail = rand.toString("hex", 1, 8);
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${randA}-${variant}${tail.slice(0, 2)}-${tail.slice(2, 14)}`;
}
