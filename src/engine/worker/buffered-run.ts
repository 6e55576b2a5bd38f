/**
 * What a buffered run (claimed ahead, waiting for a slot) keeps until it starts: the claimed record's
 * 13 fields that vary when the others hold their usual values (no steps yet, no key, deadline,
 * parent, schedule, tags, progress or trace), instead of the 28-field record, its `ClaimedRun` and two
 * empty arrays. Up to 20 × `concurrency` runs wait in a worker's buffer; what they hold is most of what
 * a worker's young-generation GCs copy (docs/PERFORMANCE.md, "Memory"). The record is made again,
 * equal field by field, when the run starts.
 */
import type { ClaimedRun, RunRecord, RunStatus } from "../../store/types.ts";

export class BufferedRun {
  readonly taskId: string;
  readonly queue: string;
  readonly status: RunStatus;
  readonly payload: string;
  readonly priority: number;
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly workerId: string | null;
  readonly leaseExpiresAt: number | null;

  private constructor(r: RunRecord) {
    this.taskId = r.taskId;
    this.queue = r.queue;
    this.status = r.status;
    this.payload = r.payload;
    this.priority = r.priority;
    this.runAt = r.runAt;
    this.createdAt = r.createdAt;
    this.updatedAt = r.updatedAt;
    this.startedAt = r.startedAt;
    this.attempt = r.attempt;
    this.maxAttempts = r.maxAttempts;
    this.workerId = r.workerId;
    this.leaseExpiresAt = r.leaseExpiresAt;
  }

  /** The compact form of `c`, or `c` itself when one of the other fields holds something. */
  static of(c: ClaimedRun): BufferedRun | ClaimedRun {
    const r = c.run;
    const usual =
      c.steps.length === 0 &&
      r.concurrencyKey === null &&
      r.output === null &&
      r.error === null &&
      r.finishedAt === null &&
      r.idempotencyKey === null &&
      r.idempotencyExpiresAt === null &&
      r.expiresAt === null &&
      r.tags.length === 0 &&
      r.parentRunId === null &&
      r.scheduleId === null &&
      r.progress === null &&
      r.progressMessage === null &&
      r.rateLimitedUntil === null &&
      r.traceContext === null;
    return usual ? new BufferedRun(r) : c;
  }

  /** The claimed run again (`id` is the run's id, which the holder keeps). */
  claimed(id: string): ClaimedRun {
    const run: RunRecord = {
      id,
      taskId: this.taskId,
      queue: this.queue,
      concurrencyKey: null,
      status: this.status,
      payload: this.payload,
      output: null,
      error: null,
      priority: this.priority,
      runAt: this.runAt,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      startedAt: this.startedAt,
      finishedAt: null,
      attempt: this.attempt,
      maxAttempts: this.maxAttempts,
      idempotencyKey: null,
      idempotencyExpiresAt: null,
      expiresAt: null,
      tags: [],
      parentRunId: null,
      scheduleId: null,
      workerId: this.workerId,
      leaseExpiresAt: this.leaseExpiresAt,
      progress: null,
      progressMessage: null,
      rateLimitedUntil: null,
      traceContext: null,
    };
    return { run, steps: [] };
  }
}
