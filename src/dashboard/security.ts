/**
 * Authentication, sessions and CSRF protection.
 *
 * - A session is a stateless signed cookie `errand_session=<sid>.<issued>.<mac>` (HttpOnly,
 *   SameSite=Strict, `Secure` over https). With `auth`, the MAC key is derived from the token (HKDF),
 *   so sessions survive restarts and work on every instance sharing the token; changing the token ends
 *   them all. Without `auth` every visitor gets one (it only carries the CSRF token) and the key is
 *   random per process. A session is accepted for {@link SESSION_TTL_MS} after it was issued.
 * - Logging out records the session in the revocations (see revocations.ts) until it expires.
 * - `Authorization: Bearer <token>` authenticates scripts (no CSRF token needed: a browser never adds
 *   that header on its own), but like every state-changing request it is refused when the browser
 *   says it comes from another origin or site (`Origin`, `Sec-Fetch-Site`) — a proxy may inject the
 *   header into a cross-site form post.
 * - State-changing requests authenticated by the cookie must also carry the per-session CSRF token
 *   (form field `_csrf` or header `X-CSRF-Token`).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { memoryRevocations, type SessionInfo, type SessionRevocations } from "./revocations.ts";

export const SESSION_COOKIE = "errand_session";
/** How long a session cookie is accepted after it was issued. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Clock skew tolerated between instances issuing and checking a session. */
const SKEW_MS = 60_000;

export type AuthResult =
  | {
    readonly ok: true;
    readonly via: "bearer" | "cookie" | "open";
    /** The session (null for Bearer requests); a new one comes with `setCookie`. */
    readonly session: SessionInfo | null;
    readonly setCookie: string | null;
  }
  | { readonly ok: false };

export type Authed = AuthResult & { ok: true };

export interface Security {
  /** Whether the request is authenticated, and the session it belongs to (new sessions come with a cookie to set). */
  authenticate(req: Request): Promise<AuthResult>;
  /** The CSRF token of a session. */
  csrfToken(session: SessionInfo): string;
  /** Null when the request may change state as far as its origin goes, else why it is refused. Checked whatever the credentials. */
  checkSite(req: Request): string | null;
  /** Null when a cookie-authenticated request carries its session's CSRF token, else why not. */
  checkCsrfToken(auth: Authed, sentToken: string | null): string | null;
  /** Checks a login attempt; returns the Set-Cookie value of a new session, or null for a wrong token. */
  login(req: Request, token: string): string | null;
  /** Revokes the session (until it expires) and returns a Set-Cookie value that removes the cookie. */
  logout(auth: AuthResult): Promise<string>;
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

/** The session-signing key: derived from the token, or random for a dashboard without auth. */
function sessionKey(token: string | null): Buffer {
  if (token === null) return randomBytes(32);
  return Buffer.from(hkdfSync("sha256", token, "errand-dashboard", "session-key-v1", 32));
}

export function createSecurity(options: {
  readonly token: string | null;
  readonly basePath: string;
  /** The origin browsers use for a request (publicOrigin / trustProxy). @default the request URL's */
  readonly originOf?: (req: Request) => string;
  /** @default memoryRevocations() */
  readonly revocations?: SessionRevocations;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
}): Security {
  const now = options.now ?? Date.now;
  const { token } = options;
  const key = sessionKey(token);
  const originOf = options.originOf ?? ((req: Request) => new URL(req.url).origin);
  const revocations = options.revocations ?? memoryRevocations({ now });
  const cookiePath = options.basePath === "" ? "/" : options.basePath;

  function issue(req: Request): { session: SessionInfo; cookie: string } {
    const id = randomBytes(18).toString("base64url");
    const issuedAt = now();
    const issued = issuedAt.toString(36);
    const secure = originOf(req).startsWith("https:") ? "; Secure" : "";
    const cookie = `${SESSION_COOKIE}=${id}.${issued}.${mac(key, `session:${id}.${issued}`)}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure}`;
    return { session: { id, issuedAt, expiresAt: issuedAt + SESSION_TTL_MS }, cookie };
  }

  async function sessionOf(req: Request): Promise<SessionInfo | null> {
    const value = readCookie(req, SESSION_COOKIE);
    if (!value) return null;
    const parts = value.split(".");
    if (parts.length !== 3) return null;
    const [id, issued, sent] = parts as [string, string, string];
    if (!sameText(sent, mac(key, `session:${id}.${issued}`))) return null;
    const issuedAt = parseInt(issued, 36);
    const age = now() - issuedAt;
    if (!(age >= -SKEW_MS && age < SESSION_TTL_MS)) return null;
    const session: SessionInfo = { id, issuedAt, expiresAt: issuedAt + SESSION_TTL_MS };
    return (await revocations.isRevoked(session)) ? null : session;
  }

  return {
    async authenticate(req) {
      // Only a Bearer header is ours: a proxy's own scheme (e.g. Basic) must not hide the cookie.
      const bearer = /^Bearer\s+(.+)$/i.exec((req.headers.get("authorization") ?? "").trim());
      if (token !== null && bearer !== null) {
        return sameText(bearer[1]!, token) ? { ok: true, via: "bearer", session: null, setCookie: null } : { ok: false };
      }
      const session = await sessionOf(req);
      if (session !== null) return { ok: true, via: token === null ? "open" : "cookie", session, setCookie: null };
      if (token !== null) return { ok: false };
      const fresh = issue(req);
      return { ok: true, via: "open", session: fresh.session, setCookie: fresh.cookie };
    },
    csrfToken(session) {
      return mac(key, "csrf:" + session.id);
    },
    checkSite(req) {
      const origin = req.headers.get("origin");
      if (origin !== null && origin !== originOf(req)) return `cross-origin request from ${origin}`;
      const site = req.headers.get("sec-fetch-site");
      if (site !== null && site !== "same-origin" && site !== "none") return `cross-site request (${site})`;
      return null;
    },
    checkCsrfToken(auth, sentToken) {
      if (auth.via === "bearer") return null;
      if (auth.session === null || auth.setCookie !== null) return "no session";
      if (sentToken === null || !sameText(sentToken, mac(key, "csrf:" + auth.session.id))) return "missing or wrong CSRF token";
      return null;
    },
    login(req, attempt) {
      if (token === null || !sameText(attempt, token)) return null;
      return issue(req).cookie;
    },
    async logout(auth) {
      if (auth.ok && auth.session !== null && auth.setCookie === null) await revocations.revoke(auth.session);
      return `${SESSION_COOKIE}=; Path=${cookiePath}; HttpOnly; SameSite=Strict; Max-Age=0`;
    },
  };
}
