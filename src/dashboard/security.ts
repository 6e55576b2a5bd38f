/**
 * Authentication, sessions and CSRF protection.
 *
 * - A session is a signed cookie `errand_session=<sid>.<issued>.<mac>` (HttpOnly, SameSite=Strict); the
 *   MAC key is random per dashboard instance, so sessions end when the process restarts, and after
 *   {@link SESSION_TTL_MS}. Logging out revokes the session id. With `auth`, only a correct login
 *   issues one; without `auth`, every visitor gets one (it only carries the CSRF token).
 * - `Authorization: Bearer <token>` authenticates scripts; such requests need no CSRF token since a
 *   browser never adds that header on its own.
 * - Every state-changing request authenticated by the cookie must carry the per-session CSRF token
 *   (form field `_csrf` or header `X-CSRF-Token`) and, when the browser sends one, a same-origin
 *   `Origin` (and `Sec-Fetch-Site`).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "errand_session";
/** How long a session cookie is accepted after it was issued. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Revoked (logged-out) session ids remembered; older ones expire with their TTL anyway. */
const MAX_REVOKED = 10_000;

export type AuthResult =
  | { readonly ok: true; readonly via: "bearer" | "cookie" | "open"; readonly sid: string | null; readonly setCookie: string | null }
  | { readonly ok: false };

export interface Security {
  /** Whether the request is authenticated, and the session it belongs to (new sessions come with a cookie to set). */
  authenticate(req: Request): AuthResult;
  /** The CSRF token of a session. */
  csrfToken(sid: string): string;
  /** Null when the state-changing request is allowed, else the reason it is refused. */
  checkCsrf(req: Request, auth: AuthResult & { ok: true }, sentToken: string | null): string | null;
  /** Checks a login attempt; returns the Set-Cookie value of a new session, or null for a wrong token. */
  login(req: Request, token: string): string | null;
  /** Revokes the session and returns a Set-Cookie value that removes the cookie. */
  logout(sid: string | null): string;
}

function mac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const key = Buffer.from("errand-compare");
  const x = createHmac("sha256", key).update(a).digest();
  const y = createHmac("sha256", key).update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** Reads one cookie from a Cookie header. */
export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function createSecurity(options: {
  readonly token: string | null;
  readonly basePath: string;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
}): Security {
  const now = options.now ?? Date.now;
  const key = randomBytes(32);
  const { token } = options;
  const cookiePath = options.basePath === "" ? "/" : options.basePath;

  const revoked = new Set<string>();

  function cookieFor(req: Request, sid: string): string {
    const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
    const issued = now().toString(36);
    return `${SESSION_COOKIE}=${sid}.${issued}.${mac(key, `session:${sid}.${issued}`)}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure}`;
  }

  function sessionOf(req: Request): string | null {
    const value = readCookie(req, SESSION_COOKIE);
    if (!value) return null;
    const parts = value.split(".");
    if (parts.length !== 3) return null;
    const [sid, issued, sent] = parts as [string, string, string];
    if (!sameText(sent, mac(key, `session:${sid}.${issued}`))) return null;
    const age = now() - parseInt(issued, 36);
    if (!(age >= -60_000 && age < SESSION_TTL_MS) || revoked.has(sid)) return null;
    return sid;
  }

  return {
    authenticate(req) {
      const authorization = req.headers.get("authorization");
      if (token !== null && authorization !== null) {
        const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
        return match && sameText(match[1]!, token) ? { ok: true, via: "bearer", sid: null, setCookie: null } : { ok: false };
      }
      const sid = sessionOf(req);
      if (sid !== null) return { ok: true, via: token === null ? "open" : "cookie", sid, setCookie: null };
      if (token !== null) return { ok: false };
      const fresh = randomBytes(18).toString("base64url");
      return { ok: true, via: "open", sid: fresh, setCookie: cookieFor(req, fresh) };
    },
    csrfToken(sid) {
      return mac(key, "csrf:" + sid);
    },
    checkCsrf(req, auth, sentToken) {
      if (auth.via === "bearer") return null;
      const origin = req.headers.get("origin");
      if (origin !== null && origin !== new URL(req.url).origin) return `cross-origin request from ${origin}`;
      const site = req.headers.get("sec-fetch-site");
      if (site !== null && site !== "same-origin" && site !== "none") return `cross-site request (${site})`;
      if (auth.sid === null || auth.setCookie !== null) return "no session";
      if (sentToken === null || !sameText(sentToken, mac(key, "csrf:" + auth.sid))) return "missing or wrong CSRF token";
      return null;
    },
    login(req, attempt) {
      if (token === null || !sameText(attempt, token)) return null;
      return cookieFor(req, randomBytes(18).toString("base64url"));
    },
    logout(sid) {
      if (sid !== null) {
        if (revoked.size >= MAX_REVOKED) revoked.delete(revoked.values().next().value as string);
        revoked.add(sid);
      }
      return `${SESSION_COOKIE}=; Path=${cookiePath}; HttpOnly; SameSite=Strict; Max-Age=0`;
    },
  };
}
