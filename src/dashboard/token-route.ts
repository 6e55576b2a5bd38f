/**
 * `POST <basePath>/api/tokens/:id/complete` (docs/CONTRACT.md §8): completes a waitpoint token with the
 * request's JSON body as its output. The one route that needs no dashboard token: the unguessable
 * token id is the credential, as in a webhook URL. Like every state-changing route it refuses what a
 * browser says is cross-site (webhook senders send no Origin), and its body is capped (1 MiB).
 * Unknown ids count as failed guesses towards the client's login backoff.
 *
 * Answers: 200 `{ completed: true }`; 404 unknown id; 409 `{ completed: false, reason }` when it
 * was completed already (the first completion won), expired, or its run finished.
 */
import type { Engine } from "../engine/types.ts";
import { isTokenId } from "../vocabulary/tokens.ts";
import { readBody } from "./body.ts";
import type { LoginLimiter } from "./login-limit.ts";
import { jsonError, jsonResponse } from "./respond.ts";
import type { Security } from "./security.ts";

export interface TokenRouteDeps {
  readonly engine: Engine;
  readonly security: Security;
  readonly limiter: LoginLimiter;
  /** The client's key for the backoff. */
  readonly client: string;
}

/** Whether the path parts are the token-completion route (`api/tokens/:id/complete`). */
export function isTokenRoute(parts: readonly string[]): boolean {
  return parts.length === 4 && parts[0] === "api" && parts[1] === "tokens" && parts[3] === "complete";
}

export async function tokenRoute(deps: TokenRouteDeps, req: Request, method: string, id: string): Promise<Response> {
  const { engine, security, limiter, client } = deps;
  if (method !== "POST") return jsonError(405, "method not allowed: POST a JSON body to complete the token", { Allow: "POST" });
  const site = security.checkSite(req);
  if (site !== null) return jsonError(403, `CSRF check failed: ${site}`);
  const waitMs = limiter.retryAfterMs(client);
  if (waitMs > 0) {
    const seconds = String(Math.ceil(waitMs / 1000));
    return jsonError(429, `too many failed attempts: retry in ${seconds} s`, { "Retry-After": seconds });
  }
  if (!isTokenId(id)) return unknown(limiter, client);
  const body = await readBody(req);
  if (body.kind === "error") return jsonError(body.status, body.message);
  if (body.kind === "form") return jsonError(415, "the output of a token is a JSON body (Content-Type: application/json)");
  const result = await engine.tokens.complete(id, body.kind === "json" ? body.value : null);
  if (result.completed) return jsonResponse(null, { completed: true });
  if (result.reason === "notFound") return unknown(limiter, client);
  return jsonError(409, REFUSED[result.reason], {}, { completed: false, reason: result.reason });
}

const REFUSED = {
  alreadyCompleted: "the token was completed already; the first completion counts",
  expired: "the token timed out before it was completed",
  runFinished: "the run that waited for the token has finished",
} as const;

function unknown(limiter: LoginLimiter, client: string): Response {
  limiter.failed(client);
  return jsonError(404, "no such waitpoint token", {}, { completed: false, reason: "notFound" });
}
