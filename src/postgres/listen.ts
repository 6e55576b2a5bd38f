/**
 * LISTEN for the store's channel on a dedicated connection, reconnecting with backoff after errors
 * (e.g. a server restart). After a reconnect listeners hear `available` once, so workers re-poll for
 * anything they may have missed while disconnected.
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
  /**
   * Tells this process's listeners now, without the server: a statement that will notify was just
   * sent on the connection of backend `pid` (null: unknown). Its own notification, when it comes, is
   * then not told again ({@link echoLost} when it will not come).
   */
  ring(n: StoreNotification, pid: number | null): void;
  /** The statement of a {@link ring} failed: no notification of it will come. */
  echoLost(pid: number | null): void;
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
  /** Backend pid → notifications from it that were already told by ring() (at most the statements in flight). */
  const echoes = new Map<number, number>();

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
        c.on("notification", (msg) => {
          const pid = msg.processId;
          const told = pid === undefined ? 0 : (echoes.get(pid) ?? 0);
          if (told > 0) {
            if (told === 1) echoes.delete(pid!);
            else echoes.set(pid!, told - 1);
            return;
          }
          emit({ kind: "available", queue: msg.payload ? msg.payload : null });
        });
        await c.query(`LISTEN "${options.channel}"`);
        if (closed) {
          await end();
          return;
        }
        const wasReconnect = retryMs > 100;
        echoes.clear(); // notifications sent while no connection listened are lost, echoes too
        client = c;
        endCurrent = end;
        retryMs = 100;
        if (wasReconnect) emit({ kind: "available", queue: null });
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
    ring(n, pid) {
      if (pid !== null && client !== null) echoes.set(pid, (echoes.get(pid) ?? 0) + 1);
      emit(n);
    },
    echoLost(pid) {
      const told = pid === null ? 0 : (echoes.get(pid) ?? 0);
      if (told > 1) echoes.set(pid!, told - 1);
      else if (told === 1) echoes.delete(pid!);
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
