import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';
import { WalSync } from './wal-sync.ts';

export type Row = Record<string, SQLInputValue>;
export type Param = SQLInputValue;

/** A group as the send path needs it (groups.ts appendMessages), kept between batches. */
export interface HotGroup {
  readonly gno: number;
  readonly epoch: number;
  lastSeq: number;
  /** Devices checked so far: whether each is a current member. */
  readonly members: Map<string, boolean>;
}

/** Past this many groups the hot cache starts over (it only saves reads). */
const HOT_GROUPS_MAX = 20_000;

/** Where the log's next row goes and how far log_index covers (migration 6, log.ts). */
export interface LogRids {
  /** The rid of the next row written. */
  next: number;
  /** Rows with a higher rid are not in log_index yet. */
  indexedUpTo: number;
}

/** A synchronous SQLite handle with a statement cache and a transaction helper. */
export class Db {
  readonly raw: DatabaseSync;
  readonly path: string;
  readonly #statements = new Map<string, StatementSync>();
  /** With synchronous FULL: syncs the commits of `relaxedTx` off the event loop (null with NORMAL). */
  readonly walSync: WalSync | null;
  /** Log appends of the relaxed transaction running now: groupId → lowest seq. */
  #appends: Map<string, number> | null = null;
  /** The log's rid allocator for the running transaction (log.ts), loaded on first use. */
  #rids: LogRids | null = null;
  /** See `hotGroups`. */
  readonly #hot = new Map<string, HotGroup>();
  #hotVersion = -1;
  /** Set while the checkpoint thread catches up on the whole WAL (checkpoint-thread.ts). */
  #held: { readonly promise: Promise<void>; readonly resolve: () => void } | null = null;

  constructor(dataDir: string, synchronous: 'full' | 'normal') {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'charla.sqlite');
    this.raw = new DatabaseSync(this.path);
    this.walSync = synchronous === 'full' ? new WalSync(this.path) : null;
    // WAL: readers never block the writer. synchronous FULL fsyncs the WAL on every commit, so an
    // acknowledged message survives power loss; NORMAL survives a crash of the process only.
    this.raw.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'};`);
    this.raw.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    this.#migrate();
  }

  stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.raw.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  get(sql: string, ...params: Param[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: Param[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: Param[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }

  /** Runs fn in one IMMEDIATE transaction (the write lock is taken up front, so checks and writes are atomic). */
  tx<T>(fn: () => T): T {
    return this.#tx(fn, false);
  }

  #tx<T>(fn: () => T, relaxed: boolean): T {
    let committed = false;
    this.raw.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.raw.exec('COMMIT');
      committed = true;
      return result;
    } catch (error) {
      this.raw.exec('ROLLBACK');
      throw error;
    } finally {
      this.#rids = null;
      // Only the hot writes keep the cache: they change no group's epoch nor anyone's membership,
      // and they update the cached last_seq themselves (which a rollback would leave wrong).
      if (!relaxed || !committed) this.#hot.clear();
    }
  }

  /**
   * The groups the send path read in earlier batches, so that a batch reads only the groups it
   * has not seen. Valid while no other transaction runs here (every one clears it: commits, joins,
   * revocations, new groups) and no other connection commits (PRAGMA data_version moves).
   */
  hotGroups(): Map<string, HotGroup> {
    const version = Number(this.get('PRAGMA data_version')?.['data_version']);
    if (version !== this.#hotVersion || this.#hot.size > HOT_GROUPS_MAX) {
      this.#hot.clear();
      this.#hotVersion = version;
    }
    return this.#hot;
  }

  /** The running transaction's log rid allocator (log.ts); `load` reads it on first use. */
  rids(load: () => LogRids): LogRids {
    if (!this.raw.isTransaction) throw new Error('rids: outside a transaction');
    return (this.#rids ??= load());
  }

  /**
   * tx() for the hot writes (batches of sends, buffered acks): with synchronous FULL the commit
   * skips SQLite's fsync, and the caller must await `durable()` before telling anyone it is stored
   * (wal-sync.ts). Other transactions keep syncing inside COMMIT.
   */
  relaxedTx<T>(fn: () => T): T {
    const walSync = this.walSync;
    if (walSync === null) return this.#tx(fn, true);
    this.raw.exec('PRAGMA synchronous = NORMAL');
    this.#appends = new Map();
    try {
      const result = this.#tx(fn, true);
      walSync.committed(this.#appends);
      return result;
    } finally {
      this.#appends = null;
      this.raw.exec('PRAGMA synchronous = FULL');
    }
  }

  /** Holds the deferrable writes (see `writable`) until `release`. */
  hold(): void {
    if (this.#held !== null) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#held = { promise, resolve };
  }

  release(): void {
    const held = this.#held;
    this.#held = null;
    held?.resolve();
  }

  /**
   * Undefined, or a promise to await before a deferrable write (a batch of sends, buffered acks):
   * the checkpoint thread is copying the end of the WAL, and a write now would keep the WAL from
   * starting over. Waiters resume in the order they came, so batches keep their order.
   */
  writable(): Promise<void> | undefined {
    return this.#held?.promise;
  }

  /** Resolves once every commit made so far is on disk. */
  durable(): Promise<void> {
    return this.walSync?.durable() ?? Promise.resolve();
  }

  /** Called for each log row written: rows of a relaxed commit stay unread until synced. */
  noteAppend(groupId: string, seq: number): void {
    const a = this.#appends;
    if (a === null) return;
    const had = a.get(groupId);
    if (had === undefined || seq < had) a.set(groupId, seq);
  }

  /** The highest seq of the group a reader may see (everything below the first unsynced append). */
  readableUpTo(groupId: string): number {
    const first = this.walSync?.firstUnsynced(groupId);
    return first === undefined ? Number.MAX_SAFE_INTEGER : first - 1;
  }

  close(): void {
    this.walSync?.close();
    this.#statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }

  #migrate(): void {
    this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    const row = this.raw.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      this.tx(() => {
        this.raw.exec(m.sql);
        this.raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
      });
    }
  }
}

// Value converters live with the row mappers both stores share.
export { bytes, bytesOrNull, num, numOrNull, str, strOrNull } from '../rows.ts';
