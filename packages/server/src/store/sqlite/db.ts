import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';

export type Row = Record<string, SQLInputValue>;
export type Param = SQLInputValue;

/** A synchronous SQLite handle with a statement cache and a transaction helper. */
export class Db {
  readonly raw: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(dataDir: string, synchronous: 'full' | 'normal') {
    mkdirSync(dataDir, { recursive: true });
    this.raw = new DatabaseSync(join(dataDir, 'charla.sqlite'));
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
    this.raw.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.raw.exec('COMMIT');
      return result;
    } catch (error) {
      this.raw.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
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
