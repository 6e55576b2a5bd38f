/**
 * Open-loop load: fire at a fixed rate on a fixed schedule, never waiting for earlier work, so a slow
 * system shows up as latency instead of silently lowering the offered load (no coordinated omission).
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Calls `fire(i)` for i in [0, total) at `perSec` per second. Each call happens at (or just after) its
 * scheduled time; when the process falls behind, the late calls fire at once to catch up. No busy
 * waiting: the event loop stays free for the system under test in the same process.
 */
export async function openLoop(total: number, perSec: number, fire: (i: number) => void): Promise<void> {
  const interval = 1000 / perSec;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + i * interval - performance.now();
    if (wait >= 1) await sleep(wait);
    fire(i);
  }
}
