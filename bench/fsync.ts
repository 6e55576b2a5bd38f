/**
 * What one WAL flush costs on this machine's disk: `npx tsx bench/fsync.ts` (a measuring script, not
 * part of `npm run bench`). Writes 8 KiB at the next offset of a preallocated 16 MiB file and
 * `fdatasync`s it, BENCH_FSYNC_N times (2,000), as PostgreSQL's WAL writer does with its default
 * `wal_sync_method` on Linux, in the directory where the benches put PostgreSQL's data (the system's
 * temporary directory; BENCH_FSYNC_DIR to choose another), and prints the latency distribution.
 * Every commit PostgreSQL acknowledges with `synchronous_commit = on` waits for one such flush (or
 * shares one with commits that arrived together), so these figures bound what a design with k
 * synchronous commits per trigger→start can reach: about k × p50 at the median and k × p99 at the tail.
 */
import { closeSync, fdatasyncSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envInt } from "./lib/env.ts";
import { machineLine } from "./lib/machine.ts";

const n = envInt("BENCH_FSYNC_N", 2_000);
const dir = mkdtempSync(join(process.env["BENCH_FSYNC_DIR"] ?? tmpdir(), "errand-fsync-"));
const file = join(dir, "wal-like");
const SEGMENT = 16 * 1024 * 1024;
const PAGE = 8 * 1024;
const page = Buffer.alloc(PAGE, 0x5a);
const fd = openSync(file, "w+");
const ms: number[] = [];
try {
  // Preallocated and flushed first, as PostgreSQL recycles WAL segments: each flush then writes data only.
  ftruncateSync(fd, SEGMENT);
  for (let off = 0; off < SEGMENT; off += 1024 * 1024) writeSync(fd, Buffer.alloc(1024 * 1024), 0, 1024 * 1024, off);
  fdatasyncSync(fd);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    writeSync(fd, page, 0, PAGE, (i * PAGE) % SEGMENT);
    fdatasyncSync(fd);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
ms.sort((a, b) => a - b);
const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
console.log(machineLine());
console.log(`write 8 KiB + fdatasync, ${n} times in ${dir}`);
console.log(
  `p50 ${at(0.5).toFixed(2)} ms  p90 ${at(0.9).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms  max ${ms[ms.length - 1]!.toFixed(2)} ms  mean ${mean.toFixed(2)} ms  (>10 ms: ${ms.filter((x) => x > 10).length})`,
);
