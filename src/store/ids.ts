import { randomFillSync } from "node:crypto";

let lastMs = 0;
let seq = 0;
/** `xxxxxxxx-xxxx-7` for `lastMs`, rebuilt only when the millisecond changes. */
let msPrefix = "";

/** The 12-bit sequence as three hex digits, `000` to `fff`, made once. */
const SEQ_HEX: readonly string[] = Array.from({ length: 0x1000 }, (_, i) => i.toString(16).padStart(3, "0"));

/**
 * Random tails `-vxxx-xxxxxxxxxxxx` (v: the variant digit 8, 9, a or b; 62 random bits), made
 * {@link TAILS} at a time from one draw of random bytes: one syscall and one pass per batch, one
 * array read per id.
 */
const TAILS = 512;
const pool = Buffer.alloc(TAILS * 8);
const tails: string[] = new Array(TAILS);
let next = TAILS;
const VARIANT = "89ab";

function refill(): void {
  randomFillSync(pool);
  const hex = pool.toString("hex");
  for (let i = 0, o = 0; i < TAILS; i++, o += 16) {
    // The variant's two high bits are 10: its hex digit is 8, 9, a or b, from the bits of the digit it replaces.
    tails[i] = `-${VARIANT[(pool[i * 8]! >> 4) & 3]}${hex.slice(o + 1, o + 4)}-${hex.slice(o + 4, o + 16)}`;
  }
  next = 0;
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
  if (next === TAILS) refill();
  return msPrefix + SEQ_HEX[seq]! + tails[next++]!;
}
