import { randomBytes } from "node:crypto";

let lastMs = 0;
let seq = 0;

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
  const rand = randomBytes(8);
  const randA = (0x7000 | seq).toString(16);
  const variant = ((rand[0]! & 0x3f) | 0x80).toString(16).padStart(2, "0");
  const tail = rand.subarray(1).toString("hex");
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${randA}-${variant}${tail.slice(0, 2)}-${tail.slice(2, 14)}`;
}
