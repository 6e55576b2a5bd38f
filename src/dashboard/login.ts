/**
 * The login route: `GET` shows the form, `POST` exchanges the token for a session cookie. Refused from
 * another origin or site; a client past its free failures waits (429 + Retry-After) and its attempts
 * are not even checked meanwhile (see login-limit.ts).
 */
import { formOf, readBody } from "./body.ts";
import { loginPage } from "./layout.ts";
import { clientKey, type LoginLimiter } from "./login-limit.ts";
import { clientAddressOf, type ClientInfo, type OriginOptions } from "./origin.ts";
import { htmlResponse, jsonError, redirect } from "./respond.ts";
import type { Security } from "./security.ts";

export interface LoginDeps {
  readonly base: string;
  readonly title: string;
  readonly security: Security;
  readonly limiter: LoginLimiter;
  readonly origins: OriginOptions;
}

export async function loginRoute(deps: LoginDeps, req: Request, method: string, info: ClientInfo | undefined): Promise<Response> {
  const { base, title, security, limiter } = deps;
  if (method === "GET" || method === "HEAD") return htmlResponse(loginPage(base, title));
  if (method !== "POST") return jsonError(405, "method not allowed", { Allow: "GET, HEAD, POST" });
  if (security.checkSite(req) !== null) return jsonError(403, "cross-origin login refused");
  const client = clientKey(clientAddressOf(req, info, deps.origins));
  const waitMs = limiter.retryAfterMs(client);
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    return htmlResponse(loginPage(base, title, `Too many failed attempts: try again in ${seconds} s.`), 429, { "Retry-After": String(seconds) });
  }
  const body = await readBody(req);
  if (body.kind === "error") return jsonError(body.status, body.message);
  const cookie = security.login(req, formOf(body).get("token") ?? "");
  if (cookie === null) {
    limiter.failed(client);
    return htmlResponse(loginPage(base, title, "Wrong token."), 401);
  }
  limiter.succeeded(client);
  return redirect(`${base}/`, { "Set-Cookie": cookie });
}
