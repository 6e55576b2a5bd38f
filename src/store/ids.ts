import { randomFillSync } from "node:crypto";

let lastMs = 0;
let seq = 0;
/** `xxxxxxxx-xxxx-7` for `lastMs`, rebuilt only when the millisecond changes. */
let msPrefix = "";
// Random hex is drawn 4 KiB at a time (one syscall and one hex encoding per 512 ids).
const pool = Buffer.alloc(4096);
let hex = "";
let offset = 0;
const VARIANT = "89ab89ab89ab89ab";

function random16(): string {
  if (offset + 16 > hex.length) {
    randomFillSync(pool);
    hex = pool.toString("hex");
    offset = 0;
  }
  const out = hex.slice(offset, offset + 16);
  offset += 16;
  return out;
}

/**
 * A time-ordered unique id (UUID version 7 layout, lowercase hex with dashes). Ids created later in
 * the same process sort after earlier ones, also within one millisecond, so they work as keyset
 * pagination keys and as FIFO tie-breakers. 62 random bits tell apart ids of other processes.
 */
export function newId(now: number = Date.now()): string {
  if (now <= lastMs) {
    seq++;
    if (seq > 0xfff) {
      lastMs++;
      seq = 0;
      msPrefix = "";
    }
  } else {
    lastMs = now;
    seq = 0;
    msPrefix = "";
  }
  if (msPrefix === "") {
    const ms = lastMs.toString(16).padStart(12, "0");
    msPrefix = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
  }
  const r = random16();
  const s = seq < 0x10 ? `00${seq.toString(16)}` : seq < 0x100 ? `0${seq.toString(16)}` : seq.toString(16);
  // The variant's two high bits are 10: its hex digit is one of 8, 9, a, b.
  return `${msPrefix}${s}-${VARIANT[parseInt(r[0]!, 16)]}${r.slice(1, 4)}-${r.slice(4, 16)}`;
}
