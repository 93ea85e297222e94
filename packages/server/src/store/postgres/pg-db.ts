import pg from 'pg';
import { BackendUnavailableError } from '../../errors.ts';
import { PG_MIGRATIONS } from './migrations.ts';

export type Row = Record<string, unknown>;
export type Param = string | number | boolean | null | Uint8Array | readonly string[] | readonly number[];

/** What a method body runs its statements on: a transaction's client or the pool (single statements). */
export interface Sql {
  rows(sql: string, params?: readonly Param[]): Promise<Row[]>;
  one(sql: string, params?: readonly Param[]): Promise<Row | undefined>;
  /** Number of rows the statement changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

/** Returned from a transaction body to roll back and still answer with a value (a validation failure). */
export class Rollback<T> {
  readonly value: T;
  constructor(value: T) {
    this.value = value;
  }
}

export interface PgOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Tests: a schema of their own (created if missing) instead of `public`. */
  readonly schema?: string;
}

const INT8_OID = 20;
// Seqs, epochs and Unix-millisecond times are BIGINT; they stay below 2^53, so numbers are exact.
const parseInt8 = (v: string): number => Number(v);
/** serialization_failure and deadlock_detected: the transaction did nothing; running it again is safe. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 4;
/** Any constant: the key of the advisory lock that makes concurrent nodes migrate one at a time. */
const MIGRATION_LOCK_KEY = 0x636861726c61;

/** Lost connection, server shutting down or out of connections, as opposed to an error of the statement. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return /^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code);
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}

function classify(error: unknown): unknown {
  return error instanceof BackendUnavailableError || !isUnavailable(error) ? error : new BackendUnavailableError('database', error);
}

function wrap(client: pg.Pool | pg.PoolClient): Sql {
  const query = async (sql: string, p: readonly Param[] | undefined) => {
    try {
      return await client.query(sql, (p ?? []) as unknown[]);
    } catch (error) {
      throw classify(error);
    }
  };
  return {
    rows: async (sql, p) => (await query(sql, p)).rows as Row[],
    one: async (sql, p) => (await query(sql, p)).rows[0] as Row | undefined,
    run: async (sql, p) => (await query(sql, p)).rowCount ?? 0,
  };
}

/** A pg pool with a transaction helper and migrations. */
export class PgDb {
  readonly pool: pg.Pool;
  readonly sql: Sql;
  readonly #schema: string | undefined;

  constructor(options: PgOptions) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error('schema: a lowercase SQL identifier');
    this.#schema = options.schema;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: 10_000,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    // An idle client that loses its server emits 'error' on the pool; without a listener that
    // would crash the process. The next checkout opens a new connection.
    this.pool.on('error', () => undefined);
    this.sql = wrap(this.pool);
  }

  /**
   * Runs fn in one READ COMMITTED transaction. Consistency comes from row locks taken inside fn
   * (the group row FOR UPDATE, key packages FOR UPDATE SKIP LOCKED), not from the isolation level;
   * a deadlock or serialization failure rolls back and runs fn again.
   */
  async tx<T>(fn: (sql: Sql) => Promise<T | Rollback<T>>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect().catch((error: unknown) => {
        throw classify(error);
      });
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        if (result instanceof Rollback) {
          await client.query('ROLLBACK');
          return result.value;
        }
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        const code = ((error instanceof BackendUnavailableError ? error.cause : error) as { code?: unknown }).code;
        if (attempt < MAX_ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
        throw classify(error);
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Runs fn on one connection that holds the session-level advisory lock (`key`, this schema), its
   * statements each their own transaction. Undefined, without running fn, while another
   * connection (another node) holds that lock.
   */
  async exclusive<T>(key: number, fn: (sql: Sql) => Promise<T>): Promise<T | undefined> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw classify(error);
    });
    let broken = false;
    try {
      const locked = await client.query('SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS ok', [key]);
      if (locked.rows[0]?.ok !== true) return undefined;
      try {
        return await fn(wrap(client));
      } finally {
        // A connection that cannot unlock is closed, which releases the lock too.
        await client.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [key]).catch(() => (broken = true));
      }
    } catch (error) {
      throw classify(error);
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Session-level lock: held across the per-migration transactions below.
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        if (this.#schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const current = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
        for (const m of PG_MIGRATIONS) {
          if (m.version <= current) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

// Value converters live with the row mappers both stores share.
export { bytes, bytesOrNull, num, numOrNull, str, strOrNull } from '../rows.ts';
