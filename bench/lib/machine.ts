/**
 * Describes the machine a bench ran on (quoted with every figure in docs/PERFORMANCE.md).
 */
import { availableParallelism, loadavg, totalmem } from "node:os";
import { readFileSync } from "node:fs";

export interface MachineInfo {
  readonly date: string;
  readonly nproc: number;
  readonly node: string;
  readonly cpu: string;
  readonly memGiB: number;
}

/** Date, cores, node version, CPU model (from /proc/cpuinfo when present) and memory. */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1] !== undefined) cpu = m[1].trim();
  } catch {
    // not Linux: leave "unknown"
  }
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    node: process.version,
    cpu,
    memGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/**
 * One line: `2026-11-23T08:00:00Z · 2 cores · AMD EPYC · node v20 · 24 GiB · load 0.52`. The 1-minute
 * load average says how busy the machine was when the bench started: above the core count, other work
 * competed with the contestants and the absolute figures (not the same-run ratios) are unreliable.
 */
export function machineLine(): string {
  const m = machineInfo();
  return `${m.date} · ${m.nproc} cores · ${m.cpu} · node ${m.node} · ${m.memGiB} GiB · load ${loadavg()[0]!.toFixed(2)}`;
}
