/**
 * LISTEN for the store's channel on a dedicated connection, reconnecting with backoff after errors
 * (e.g. a server restart). Once LISTEN holds (the first time too) listeners hear `available` once, so
 * workers claim anything notified before it (while connecting, or while disconnected).
 */
import type { StoreNotification } from "../store/types.ts";
import type { PgListenClientLike } from "./driver.ts";

type Listener = (n: StoreNotification) => void;

export interface ListenOptions {
  /** Opens a dedicated connection; `end` gives it back (closes it, or releases it to its pool). */
  open(): Promise<{ client: PgListenClientLike; end(): Promise<void> }>;
  readonly channel: string;
}

export interface Listening {
  subscribe(listener: Listener): () => void;
  close(): Promise<void>;
}

export function createListener(options: ListenOptions): Listening {
  const listeners = new Set<Listener>();
  let client: PgListenClientLike | null = null;
  let closed = false;
  let connecting: Promise<void> | null = null;
  let retryMs = 100;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let endCurrent: (() => Promise<void>) | null = null;

  const emit = (n: StoreNotification) => {
    for (const l of [...listeners]) {
      try {
        l(n);
      } catch {
        // a listener's failure is its own business
      }
    }
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer !== null) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, retryMs);
    retryTimer.unref?.();
    retryMs = Math.min(retryMs * 2, 5000);
  };

  const connect = (): Promise<void> => {
    if (closed) return Promise.resolve();
    connecting ??= (async () => {
      let opened: { client: PgListenClientLike; end(): Promise<void> } | null = null;
      try {
        opened = await options.open();
        const c = opened.client;
        const end = opened.end;
        const lost = () => {
          if (client !== c) return;
          client = null;
          endCurrent = null;
          end().catch(() => {});
          scheduleReconnect();
        };
        c.on("error", lost);
        c.on("end", lost);
        c.on("notification", (msg) => emit({ kind: "available", queue: msg.payload ? msg.payload : null }));
        await c.query(`LISTEN "${options.channel}"`);
        if (closed) {
          await end();
          return;
        }
        client = c;
        endCurrent = end;
        retryMs = 100;
        // Whatever was notified before LISTEN took effect went unheard: after a reconnect, and on the
        // first connection too (a worker's first claim can run before a trigger whose notification
        // came before LISTEN: that run waited for the poll).
        emit({ kind: "available", queue: null });
      } catch {
        await opened?.end().catch(() => {});
        scheduleReconnect();
      }
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (client === null && connecting === null) void connect();
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      await connecting;
      const end = endCurrent;
      client = null;
      endCurrent = null;
      await end?.().catch(() => {});
    },
  };
}
