/**
 * Login backoff per client: after a few failures the client must wait before its next attempt is
 * even checked, and each further failure doubles the wait (1 s, 2 s, 4 s … up to 15 minutes). A
 * success clears the record. The table is bounded (stalest records go first) and a record is
 * forgotten an hour after its last failure.
 */

export interface LoginLimiter {
  /** How long the client must still wait before an attempt is checked (0: it may try now). */
  retryAfterMs(client: string): number;
  failed(client: string): void;
  succeeded(client: string): void;
  /** Clients tracked now. */
  readonly size: number;
}

interface Record_ {
  failures: number;
  /** Time of the last failure. */
  last: number;
}

const FORGET_AFTER_MS = 60 * 60_000;

export function createLoginLimiter(options: {
  /** Failures before the first wait. @default 5 */
  readonly freeFailures?: number;
  /** First wait. @default 1000 */
  readonly baseDelayMs?: number;
  /** Longest wait. @default 900_000 (15 minutes) */
  readonly maxDelayMs?: number;
  /** Most clients tracked. @default 10_000 */
  readonly maxClients?: number;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
} = {}): LoginLimiter {
  const free = options.freeFailures ?? 5;
  const base = options.baseDelayMs ?? 1000;
  const cap = options.maxDelayMs ?? 15 * 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  /** In order of last failure (re-inserted on each), so the first entry is the stalest. */
  const clients = new Map<string, Record_>();

  const delayOf = (r: Record_) => (r.failures < free ? 0 : Math.min(cap, base * 2 ** Math.min(30, r.failures - free)));

  const current = (client: string): Record_ | null => {
    const r = clients.get(client);
    if (r === undefined) return null;
    if (now() - r.last > FORGET_AFTER_MS + cap) {
      clients.delete(client);
      return null;
    }
    return r;
  };

  return {
    retryAfterMs(client) {
      const r = current(client);
      return r === null ? 0 : Math.max(0, r.last + delayOf(r) - now());
    },
    failed(client) {
      const r = current(client) ?? { failures: 0, last: 0 };
      r.failures += 1;
      r.last = now();
      clients.delete(client);
      clients.set(client, r);
      while (clients.size > maxClients) clients.delete(clients.keys().next().value as string);
    },
    succeeded(client) {
      clients.delete(client);
    },
    get size() {
      return clients.size;
    },
  };
}

/**
 * The key a client is limited by: its IPv4 address, or the /64 network of an IPv6 one (one host
 * usually holds a whole /64); "unknown" when the address is not known.
 */
export function clientKey(address: string | undefined | null): string {
  if (address === undefined || address === null || address === "") return "unknown";
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(":")) return a;
  const [head = "", tail = ""] = a.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = a.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}
