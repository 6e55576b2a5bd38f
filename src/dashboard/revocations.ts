/**
 * Logged-out sessions, remembered until they would have expired anyway. Sessions are stateless signed
 * cookies, so a logout is the only server-side state they need. The default keeps it in memory with a
 * hard bound: expired entries are dropped, and if the list is still full, every session issued so
 * far is revoked at once (a "generation" bump) rather than forgetting one logout early.
 */

/** One session, as the dashboard sees it in a valid cookie. */
export interface SessionInfo {
  /** Random id (base64url). */
  readonly id: string;
  /** When it was issued (ms since the epoch). */
  readonly issuedAt: number;
  /** When it stops being accepted anyway (ms since the epoch). */
  readonly expiresAt: number;
}

/** Where logouts are kept. Implement it on a shared store to make them hold across instances and restarts. */
export interface SessionRevocations {
  /** Remembers that the session logged out (at least until `session.expiresAt`). */
  revoke(session: SessionInfo): void | Promise<void>;
  /** Whether the session logged out. */
  isRevoked(session: SessionInfo): boolean | Promise<boolean>;
}

export interface MemoryRevocations extends SessionRevocations {
  revoke(session: SessionInfo): void;
  isRevoked(session: SessionInfo): boolean;
  /** Entries held now. */
  readonly size: number;
}

/** In-process revocations with at most `max` entries. */
export function memoryRevocations(options: {
  /** Most entries kept. @default 100_000 */
  readonly max?: number;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
} = {}): MemoryRevocations {
  const max = options.max ?? 100_000;
  const now = options.now ?? Date.now;
  /** id → expiry, in insertion order (about expiry order: the TTL is fixed). */
  const revoked = new Map<string, number>();
  /** Sessions issued at or before this instant are all revoked (set when the list overflows). */
  let revokedUpTo = -Infinity;

  const prune = () => {
    const t = now();
    for (const [id, expiresAt] of revoked) {
      if (expiresAt > t) break;
      revoked.delete(id);
    }
    // Rare out-of-order entries (a changed clock) are found by a full pass only when still full.
    if (revoked.size >= max) for (const [id, expiresAt] of revoked) if (expiresAt <= t) revoked.delete(id);
  };

  return {
    revoke(session) {
      if (session.expiresAt <= now() || session.issuedAt <= revokedUpTo) return;
      prune();
      if (revoked.size >= max) {
        revokedUpTo = now();
        revoked.clear();
        return;
      }
      revoked.set(session.id, session.expiresAt);
    },
    isRevoked(session) {
      return session.issuedAt <= revokedUpTo || revoked.has(session.id);
    },
    get size() {
      return revoked.size;
    },
  };
}
