/**
 * Writing the WAL to disk ahead of the checkpoint. With `synchronous = NORMAL` a commit only writes
 * its pages into the WAL file (the operating system's cache); the checkpoint that SQLite runs after
 * a commit once the WAL holds `wal_autocheckpoint` pages first syncs the whole WAL — about 11 KiB per
 * single trigger, so 16 MiB at the default 4,000 pages — and it does so inside that commit, on the
 * event loop (30 ms on the machine of docs/PERFORMANCE.md, once every ~1,450 single triggers).
 * Starting an `fdatasync` of the WAL on libuv's thread pool every {@link EVERY_COMMITS} commits
 * writes those pages out while the process goes on, so the checkpoint's own sync finds little left.
 * It changes nothing SQLite relies on: what is durable, and when, stays as `synchronous` says (the
 * early writes only make the pages durable sooner). At most {@link MAX_IN_FLIGHT} syncs wait at once.
 */
import { close, fdatasync, openSync } from "node:fs";

/** Commits between two background syncs (about 2.8 WAL pages each for a single trigger). */
export const EVERY_COMMITS = 256;
/** Background syncs started and not yet finished, at most. */
const MAX_IN_FLIGHT = 8;

export class WalWriteback {
  readonly #path: string;
  /** The WAL's descriptor once opened (undefined: not yet, or the file was not there; null: closed). */
  #fd: number | null | undefined = undefined;
  #commits = 0;
  #inFlight = 0;
  #closed = false;

  /** `path`: the WAL file (the database's path + `-wal`). */
  constructor(path: string) {
    this.#path = path;
  }

  /** A write transaction committed: every {@link EVERY_COMMITS}th starts a background sync. */
  committed(): void {
    if (++this.#commits < EVERY_COMMITS) return;
    this.#commits = 0;
    if (this.#inFlight >= MAX_IN_FLIGHT || this.#closed) return;
    const fd = this.#open();
    if (fd === null) return;
    this.#inFlight++;
    fdatasync(fd, () => {
      this.#inFlight--;
      if (this.#closed && this.#inFlight === 0) this.#release();
    });
  }

  /** Stops; the descriptor is closed once no sync uses it. */
  close(): void {
    this.#closed = true;
    if (this.#inFlight === 0) this.#release();
  }

  #open(): number | null {
    if (this.#fd === undefined) {
      try {
        // Never written through: POSIX syncs a file open for reading, Windows needs write access. The
        // WAL is not locked (SQLite locks the -shm file), so closing this descriptor releases nothing.
        this.#fd = openSync(this.#path, process.platform === "win32" ? "r+" : "r");
      } catch {
        return null; // the WAL is made by the first write: tried again at the next round
      }
    }
    return this.#fd;
  }

  #release(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (typeof fd === "number") close(fd, () => {});
  }
}
