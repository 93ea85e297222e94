import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { LocalStore, StoreWrite } from '../store.ts';

/**
 * The local store on disk, for the CLI and bots: one SQLite file per profile, readable only by its
 * owner. Values are JSON with byte strings tagged as {"$b": base64}.
 */
export class SqliteStore implements LocalStore {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#db = new DatabaseSync(path);
    chmodSync(path, 0o600);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;
    `);
  }

  async get<T>(ns: string, key: string): Promise<T | undefined> {
    const row = this.#db.prepare('SELECT value FROM kv WHERE ns = ? AND key = ?').get(ns, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value, revive) as T) : undefined;
  }

  async list<T>(ns: string, prefix = ''): Promise<Array<{ key: string; value: T }>> {
    const rows = this.#db
      .prepare('SELECT key, value FROM kv WHERE ns = ? AND key >= ? AND key < ? ORDER BY key')
      .all(ns, prefix, prefix + '\uffff') as Array<{ key: string; value: string }>;
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value, revive) as T }));
  }

  async write(writes: readonly StoreWrite[]): Promise<void> {
    const put = this.#db.prepare('INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value');
    const del = this.#db.prepare('DELETE FROM kv WHERE ns = ? AND key = ?');
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const w of writes) {
        if (w.value === undefined) del.run(w.ns, w.key);
        else put.run(w.ns, w.key, JSON.stringify(w.value, replace));
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

function replace(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : value;
}

function revive(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$b' in value && typeof (value as { $b: unknown }).$b === 'string' && Object.keys(value).length === 1) {
    return new Uint8Array(Buffer.from((value as { $b: string }).$b, 'base64'));
  }
  return value;
}
