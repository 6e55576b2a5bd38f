/**
 * `ctx.log` of one execution: lines are buffered and written in batches (every 200 lines, and when the
 * execution settles). Each line's key is its position in the execution (`<step path>#<n>`), so a replay
 * writes nothing twice. Nothing is allocated until the first line.
 */
import type { NewLog, RunRecord } from "../store/types.ts";
import { toJson } from "../vocabulary/json.ts";
import { currentStep } from "./steps.ts";
import type { Logger } from "./task.ts";
import type { DurableHost } from "./types.ts";

export class RunLogs {
  readonly #host: DurableHost;
  readonly #run: RunRecord;
  #lines: NewLog[] | null = null;
  #counters: Map<string, number> | null = null;
  /** `ctx.log`: its methods may be called detached (`const { info } = ctx.log`). */
  readonly logger: Logger;

  constructor(host: DurableHost, run: RunRecord) {
    this.#host = host;
    this.#run = run;
    const logs = this;
    this.logger = {
      debug(message, data) {
        logs.write("debug", message, data);
      },
      info(message, data) {
        logs.write("info", message, data);
      },
      warn(message, data) {
        logs.write("warn", message, data);
      },
      error(message, data) {
        logs.write("error", message, data);
      },
    };
  }

  /** Lines wait to be written. */
  get pending(): boolean {
    return this.#lines !== null && this.#lines.length > 0;
  }

  /** Writes the buffered lines. */
  async flush(): Promise<void> {
    const batch = this.#lines;
    if (batch === null || batch.length === 0) return;
    this.#lines = null;
    await this.#host.appendLogs(this.#run.id, batch);
  }

  write(level: NewLog["level"], message: string, data: unknown): void {
    const scope = currentStep.getStore() ?? "";
    const counters = (this.#counters ??= new Map());
    const n = (counters.get(scope) ?? 0) + 1;
    counters.set(scope, n);
    let dataJson: string | null = null;
    if (data !== undefined) {
      try {
        dataJson = toJson(data, "log data");
      } catch (error) {
        dataJson = JSON.stringify({ unserializable: (error as Error).message });
      }
    }
    const lines = (this.#lines ??= []);
    lines.push({ key: `${scope}#${n}`, level, message: String(message), data: dataJson, at: this.#host.now(), attempt: this.#run.attempt });
    // An early flush that fails must not crash the process; the execution's settle flushes the rest.
    if (lines.length >= 200) this.flush().catch(() => {});
  }
}
