/**
 * The run context's waits on the world outside the run (docs/CONTRACT.md §8): events, and waitpoint tokens.
 * A token is recorded like a step (a replay gets the same token); waiting for it suspends the run
 * like any wait, and its result comes back as the wait's stored step.
 */
import type { NewStep, NewWait, StepRecord } from "../store/types.ts";
import { toMs, toTime } from "../vocabulary/duration.ts";
import { LeaseLostError } from "../vocabulary/errors.ts";
import type { SerializedError } from "../vocabulary/serialize-error.ts";
import { fromJson, toJson } from "../vocabulary/json.ts";
import { jsonCap } from "../vocabulary/limits.ts";
import { isTokenId, newTokenId, type TokenResult, type WaitpointToken } from "../vocabulary/tokens.ts";
import { eventNameOf, isEventDefinition, validateEvent } from "./event.ts";
import { checkKey } from "./execution.ts";
import type { CreateTokenOptions, WaitForEventOptions } from "./task.ts";
import type { DurableHost } from "./types.ts";

/** What these waits need of the execution (run-context.ts). */
export interface WaitRuntime {
  readonly runId: string;
  readonly host: DurableHost;
  readonly stored: Map<string, StepRecord>;
  claimKey(path: string, what: string): void;
  suspending(): boolean;
  parked<T>(): Promise<T>;
  track<T>(p: Promise<T>): Promise<T>;
  /** Registers a wait and parks the caller. */
  wait<T>(w: Omit<NewWait, "createdAt" | "parentKey"> & { parentKey?: string | null }): Promise<T>;
}

export function waitForEvent(ex: WaitRuntime, key: string, options: WaitForEventOptions): Promise<unknown> {
  try {
    const path = checkKey(key, "ctx.waitForEvent");
    const where = `ctx.waitForEvent("${path}")`;
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: expected options { event, timeoutMs?, match? }`);
    const name = eventNameOf(options.event, `${where}: option \`event\``);
    const typed = isEventDefinition(options.event) ? options.event : null;
    const timeout = options.timeoutMs === undefined ? null : toMs(options.timeoutMs, `${where}: option \`timeoutMs\``);
    const match = options.match === undefined ? null : toJson(options.match, `${where}: option \`match\``, jsonCap(ex.host.limits, "payloadBytes"));
    ex.claimKey(path, "ctx.waitForEvent");
    const done = ex.stored.get(path);
    if (done?.status === "completed") {
      const payload = fromJson<unknown>(done.output);
      // A typed event's receivers get its schema's output (the payload passed it when sent).
      return typed === null || payload === null ? Promise.resolve(payload) : validateEvent(typed, payload);
    }
    const wakeAt = timeout === null ? null : toTime(ex.host.now() + timeout, `${where}: option \`timeoutMs\``);
    return ex.wait({ key: path, kind: "event", wakeAt, eventName: name, match, childRunId: null });
  } catch (error) {
    return Promise.reject(error);
  }
}

export function createToken<T>(ex: WaitRuntime, key: string, options: CreateTokenOptions | undefined): Promise<WaitpointToken<T>> {
  try {
    const path = checkKey(key, "ctx.createToken");
    const timeoutMs = tokenTimeout(path, options);
    ex.claimKey(path, "ctx.createToken");
    const done = ex.stored.get(path);
    if (done?.status === "completed") return Promise.resolve(fromJson<WaitpointToken<T>>(done.output));
    if (ex.suspending()) return ex.parked();
    return ex.track(storeToken<T>(ex, path, timeoutMs));
  } catch (error) {
    return Promise.reject(error);
  }
}

function tokenTimeout(path: string, options: CreateTokenOptions | undefined): number | null {
  const where = `ctx.createToken("${path}")`;
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object { timeout? }`);
  for (const k of Object.keys(options)) {
    if (k !== "timeout") throw new TypeError(`${where}: unknown option \`${k}\` (known: timeout)`);
  }
  return options.timeout === undefined ? null : toMs(options.timeout, `${where}: option \`timeout\``);
}

async function storeToken<T>(ex: WaitRuntime, path: string, timeoutMs: number | null): Promise<WaitpointToken<T>> {
  const createdAt = ex.host.now();
  const id = newTokenId();
  const url = ex.host.tokenUrl(id);
  const token: WaitpointToken<T> = url === null ? { id } : { id, url };
  const output = JSON.stringify(token);
  const step: NewStep = { key: path, parentKey: null, kind: "token", status: "completed", output, error: null, attempts: 1, startedAt: createdAt, finishedAt: createdAt, childRunId: null };
  const timeoutAt = timeoutMs === null ? null : toTime(createdAt + timeoutMs, `ctx.createToken("${path}"): option \`timeout\``);
  if (!(await ex.host.createToken(ex.runId, { id, key: path, createdAt, timeoutAt }, step))) {
    throw new LeaseLostError(`ctx.createToken("${path}"): this worker no longer holds run ${ex.runId}; the token was not stored`);
  }
  ex.stored.set(path, { runId: ex.runId, ...step });
  return token;
}

export function waitForToken<T>(ex: WaitRuntime, token: WaitpointToken<T> | string): Promise<TokenResult<T>> {
  try {
    const id = typeof token === "string" ? token : typeof token === "object" && token !== null ? token.id : undefined;
    if (!isTokenId(id)) throw new TypeError("ctx.waitForToken: expected a token made by ctx.createToken (or its id)");
    const tokenKey = keyOfToken(ex, id);
    if (tokenKey === null) {
      throw new TypeError(`ctx.waitForToken: the token was not created by this run (${ex.runId}); a run waits only for tokens it created with ctx.createToken`);
    }
    const path = `${tokenKey}/wait`;
    ex.claimKey(path, "ctx.waitForToken");
    const done = ex.stored.get(path);
    if (done?.status === "completed") return Promise.resolve(tokenResult<T>(done.output));
    return ex.wait({ key: path, parentKey: tokenKey, kind: "token", wakeAt: null, eventName: null, match: null, childRunId: null });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The key the run created the token under, from its stored token steps; null when it did not. */
function keyOfToken(ex: WaitRuntime, id: string): string | null {
  for (const s of ex.stored.values()) {
    if (s.kind !== "token" || s.parentKey !== null || s.status !== "completed") continue;
    if (fromJson<WaitpointToken | null>(s.output)?.id === id) return s.key;
  }
  return null;
}

/** The stored result of a token wait, `{ ok, output | error }` (see src/store/events-tokens.ts). */
function tokenResult<T>(json: string | null): TokenResult<T> {
  const r = fromJson<{ ok: boolean; output?: T; error?: SerializedError } | null>(json);
  if (r?.ok === true) return { ok: true, output: r.output as T };
  return { ok: false, error: r?.error ?? { name: "Error", message: "the token wait ended without a result" } };
}
