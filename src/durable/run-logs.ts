/**
 * `ctx.log` of one execution: lines are buffered and written in batches (every 200 lines, and when the
 * execution settles). Each line's key is its position in the execution (`<step path>#<n>`), so a replay
 * writes nothing twice. Nothing is allocated until the first line.
 */
import type { NewLog, RunRecord } from "../store/types.ts";
import { toJson } from "../vocabulary/json.ts";
import { jsonCap, type JsonCap } from "../vocabulary/limits.ts";
import { describeThrown } from "../vocabulary/serialize-error.ts";
import { storableText } from "../vocabulary/validate.ts";
import { currentStep } from "./steps.ts";
import type { Logger } from "./task.ts";
import type { DurableHost, RunTrace } from "./types.ts";

export class RunLogs {
  readonly #host: DurableHost;
  readonly #run: RunRecord;
  readonly #trace: RunTrace | null;
  #lines: NewLog[] | null = null;
  #counters: Map<string, number> | null = null;
  #logger: Logger | null = null;

  constructor(host: DurableHost, run: RunRecord, trace: RunTrace | null = null) {
    this.#host = host;
    this.#run = run;
    this.#trace = trace;
  }

  /** `ctx.log` (made on first use): its methods may be called detached (`const { info } = ctx.log`). */
  get logger(): Logger {
    if (this.#logger !== null) return this.#logger;
    const logs = this;
    return (this.#logger = {
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
    });
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

  write(level: NewLog["level"], message: unknown, data: unknown): void {
    const scope = currentStep.getStore() ?? "";
    const counters = (this.#counters ??= new Map());
    const n = (counters.get(scope) ?? 0) + 1;
    counters.set(scope, n);
    const limits = this.#host.limits;
    const lines = (this.#lines ??= []);
    const line: NewLog = {
      key: `${scope}#${n}`,
      level,
      message: logMessage(message, limits.logLineBytes),
      data: data === undefined ? null : logData(data, jsonCap(limits, "logLineBytes")),
      at: this.#host.now(),
      attempt: this.#run.attempt,
    };
    lines.push(line);
    this.#trace?.event(`log.${level}`, { "log.message": line.message, "log.data": line.data ?? undefined }, scope === "" ? null : scope);
    // An early flush that fails must not crash the process; the execution's settle flushes the rest.
    if (lines.length >= 200) this.flush().catch(() => {});
  }
}

/**
 * A log message as both stores keep it: text (whatever was passed), NUL escaped and lone surrogates
 * replaced ({@link storableText}), cut at `maxBytes` UTF-8 bytes saying so. Logging never throws.
 */
export function logMessage(message: unknown, maxBytes: number): string {
  let text: string;
  try {
    text = typeof message === "string" ? message : String(message);
  } catch (error) {
    text = `[unprintable log message: ${describeThrown(error)}]`;
  }
  text = storableText(text);
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= maxBytes) return text;
  const note = ` … [cut: the message was ${bytes} bytes, over limits.logLineBytes (${maxBytes})]`;
  // Keep whole characters: decoding a cut UTF-8 prefix drops a split character.
  const kept = Buffer.from(text, "utf8").subarray(0, Math.max(0, maxBytes - note.length)).toString("utf8").replace(/\uFFFD$/, "");
  return kept + note;
}

/** Log data as JSON, or a note saying why it could not be stored (too large, too deep, not JSON). */
export function logData(data: unknown, cap: JsonCap): string {
  try {
    return toJson(data, "log data", cap);
  } catch (error) {
    return JSON.stringify({ unstorable: error instanceof Error ? error.message : describeThrown(error) });
  }
}
