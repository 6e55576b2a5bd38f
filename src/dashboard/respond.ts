/** Response builders; every response carries the security headers. */
import { createHash } from "node:crypto";
import { CSS_HASH } from "./styles.ts";
import type { SafeHtml } from "./html.ts";

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src ${CSS_HASH}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(extra: Record<string, string> = {}): Headers {
  const h = new Headers({
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
  });
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

/** A weak ETag of a body. */
export function etagOf(body: string): string {
  return `W/"${createHash("sha1").update(body).digest("base64url")}"`;
}

export function htmlResponse(body: SafeHtml | string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(String(body), { status, headers: securityHeaders({ "Content-Type": "text/html; charset=utf-8", ...extra }) });
}

/** JSON with an ETag; answers 304 when the request's If-None-Match matches. */
export function jsonResponse(req: Request | null, value: unknown, status = 200, extra: Record<string, string> = {}): Response {
  const body = JSON.stringify(value);
  const etag = etagOf(body);
  if (req !== null && status === 200 && req.headers.get("if-none-match") === etag) {
    return new Response(null, { status: 304, headers: securityHeaders({ ETag: etag, ...extra }) });
  }
  return new Response(body, { status, headers: securityHeaders({ "Content-Type": "application/json; charset=utf-8", ETag: etag, ...extra }) });
}

export function jsonError(status: number, message: string, extra: Record<string, string> = {}, details: Record<string, unknown> = {}): Response {
  return jsonResponse(null, { error: message, ...details }, status, extra);
}

/** 303 See Other to a same-dashboard path. */
export function redirect(location: string, extra: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: securityHeaders({ Location: location, ...extra }) });
}
