import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import pg from 'pg';

/**
 * Test support for the networked backends (used by tests only, never by the server). Tests use
 * the machine's PostgreSQL and NATS; where one is absent they are skipped with a printed reason,
 * unless CI is set: there an absent service is a failure, so a broken CI machine cannot pass by
 * skipping.
 */

/** Admin connection candidates: CHARLA_TEST_DATABASE_URL, else the local `test` database as postgres or root. */
function adminUrls(): string[] {
  const fromEnv = process.env.CHARLA_TEST_DATABASE_URL;
  if (fromEnv) return [fromEnv];
  return ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
}

export const NATS_TEST_URL = process.env.CHARLA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A database created for one test file; drop() removes it (and only it). */
export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export type Availability<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** In CI an unavailable service is an error; elsewhere the reason is printed and the caller skips. */
export function unavailable<T>(reason: string): Availability<T> {
  if (process.env.CI) throw new Error(`${reason} (CI is set, so this is a failure, not a skip)`);
  console.log(`# skipped: ${reason}`);
  return { ok: false, reason };
}

/** Creates `charla_test_<random>` through the `test` database. */
export async function createTestDatabase(): Promise<Availability<TestDatabase>> {
  const errors: string[] = [];
  for (const adminUrl of adminUrls()) {
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (error) {
      errors.push(`${adminUrl.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}`);
      await admin.end().catch(() => undefined);
      continue;
    }
    const name = `charla_test_${randomBytes(6).toString('hex')}`;
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      ok: true,
      value: {
        url: url.toString(),
        async drop() {
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      },
    };
  }
  return unavailable(`PostgreSQL is not reachable (${errors.join('; ')})`);
}

/** Whether something accepts TCP connections at the NATS URL (the bus itself reports protocol errors). */
export async function natsForTests(): Promise<Availability<string>> {
  const u = new URL(NATS_TEST_URL);
  const reachable = await new Promise<boolean>((resolve) => {
    const s = netConnect({ host: u.hostname, port: Number(u.port || 4222) });
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  return reachable ? { ok: true, value: NATS_TEST_URL } : unavailable(`NATS is not reachable at ${NATS_TEST_URL}`);
}
