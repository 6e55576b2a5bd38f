/** The queues an engine's tasks name, with the limits they set. */
import type { QueueConfig } from "../store/types.ts";
import { taskInternals } from "./define-task.ts";
import type { AnyTask } from "./types.ts";

/** One config per queue of the tasks: a limit any of its tasks sets holds for the queue. */
export function queueConfigs(tasks: Iterable<AnyTask>): QueueConfig[] {
  const queues = new Map<string, QueueConfig>();
  for (const t of tasks) {
    const info = taskInternals(t)!;
    const seen = queues.get(info.queue);
    queues.set(info.queue, {
      name: info.queue,
      concurrencyLimit: info.concurrencyLimit ?? seen?.concurrencyLimit ?? null,
      rateLimit: info.rateLimit ?? seen?.rateLimit ?? null,
    });
  }
  return [...queues.values()];
}

/** The queues of `configs` without a concurrency or rate limit (the runs a local handoff may take). */
export function unlimitedQueueNames(configs: readonly QueueConfig[]): Set<string> {
  return new Set(configs.filter((c) => c.concurrencyLimit === null && (c.rateLimit ?? null) === null).map((c) => c.name));
}
