/** Waitpoint tokens as every layer sees them (docs/CONTRACT.md §8): the token a run gets, its result, its id. */
import { randomBytes } from "node:crypto";
import type { SerializedError } from "./serialize-error.ts";

/**
 * A waitpoint token, made by `ctx.createToken`. Whoever knows `id` can complete it: hand it (or `url`)
 * only to the party meant to. `TOutput` is the type the run expects to receive (not checked).
 */
export interface WaitpointToken<TOutput = unknown> {
  /** Unguessable: "wpt_" and 192 random bits. */
  readonly id: string;
  /**
   * Where to complete it over HTTP (`POST` a JSON body), when the engine knows the dashboard's public
   * address (`createEngine({ dashboardUrl })`): `<dashboardUrl>/api/tokens/<id>/complete`.
   */
  readonly url?: string;
  /** Phantom field for type inference only; never set. */
  readonly __output?: TOutput;
}

/** What `ctx.waitForToken` resolves to: the data it was completed with, or why not (it timed out). */
export type TokenResult<TOutput = unknown> =
  | { readonly ok: true; readonly output: TOutput }
  | { readonly ok: false; readonly error: SerializedError };

/** Why `tokens.complete` did not complete a token. */
export type TokenRefusal = "notFound" | "alreadyCompleted" | "expired" | "runFinished";

const PREFIX = "wpt_";
/** 24 random bytes = 192 bits, as 32 base64url characters. */
const RANDOM_BYTES = 24;
const TOKEN_ID = /^wpt_[A-Za-z0-9_-]{32}$/;

/** A new token id from the system's cryptographic random source. */
export function newTokenId(): string {
  return PREFIX + randomBytes(RANDOM_BYTES).toString("base64url");
}

/** Whether `id` has the form of a token id (it may still be unknown). */
export function isTokenId(id: unknown): id is string {
  return typeof id === "string" && TOKEN_ID.test(id);
}
