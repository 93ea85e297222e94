import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Durability for the hot writes without an fsync on the event loop. Those transactions commit
 * with `synchronous = NORMAL` (SQLite writes the WAL frames but does not sync them), and their
 * callers are answered only after `durable()`: an fdatasync of the WAL file, in libuv's thread
 * pool, that started after their commit. In WAL mode a commit is on disk once its frames are, so
 * this is what `synchronous = FULL` does inside COMMIT, moved off the event loop. While one sync
 * runs, the loop commits the next batch, and one more sync covers every commit made meanwhile.
 *
 * Readers on the same connection can see such a commit before it is on disk; the log reader asks
 * `firstUnsynced` and stops before it, so no device is sent an entry a power loss could take back
 * (its seq would then be given to another message).
 */
export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  /** Appends committed since the running sync started: groupId → lowest seq. */
  #dirty = new Map<string, number>();
  /** Appends the running sync covers. */
  #syncing = new Map<string, number>();
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(dbPath: string) {
    this.#walPath = `${dbPath}-wal`;
  }

  /** Records appends of a committed relaxed transaction (hidden from the log reader until synced). */
  committed(appends: ReadonlyMap<string, number>): void {
    for (const [groupId, seq] of appends) {
      const had = this.#dirty.get(groupId);
      if (had === undefined || seq < had) this.#dirty.set(groupId, seq);
    }
  }

  /** The lowest seq of the group that may not be on disk yet, if any. */
  firstUnsynced(groupId: string): number | undefined {
    const a = this.#dirty.get(groupId);
    const b = this.#syncing.get(groupId);
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Resolves once everything committed before this call is on disk. */
  durable(): Promise<void> {
    // A sync that has not started yet will cover this commit too.
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    // The running sync may have started before this commit: one more after it.
    const next = this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    this.#next = next;
    return next;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): Promise<void> {
    this.#next = undefined;
    this.#syncing = this.#dirty;
    this.#dirty = new Map();
    const run = new Promise<void>((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#open();
      } catch (error) {
        reject(error);
        return;
      }
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    }).then(
      () => {
        // Cleared before any caller resumes: what it appended is readable when it is answered.
        if (this.#running === run) this.#finish();
      },
      (error: unknown) => {
        // Not known to be on disk: keep the appends hidden (the next successful sync covers them).
        if (this.#running === run) {
          this.committed(this.#syncing);
          this.#finish();
        }
        throw error;
      },
    );
    this.#running = run;
    return run;
  }

  #finish(): void {
    this.#syncing = new Map();
    this.#running = undefined;
  }

  #open(): number {
    if (this.#fd === undefined) {
      // The WAL exists once something was committed to it. Its directory entry is synced once,
      // so that the file itself survives a power loss, not just its contents.
      this.#fd = openSync(this.#walPath, 'r');
      const dir = openSync(dirname(this.#walPath), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.#fd;
  }
}
