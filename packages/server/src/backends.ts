import type { ServerConfig } from './config/load.ts';
import type { Store } from './store/store.ts';
import type { Bus } from './bus/bus.ts';
import { SqliteStore } from './store/sqlite/sqlite-store.ts';
import { PostgresStore } from './store/postgres/postgres-store.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { NatsBus } from './bus/nats-bus.ts';

/** A backend could not be opened at start; the message names the setting to look at. */
export class BackendStartError extends Error {
  override name = 'BackendStartError';
}

/** Host, port and path of a URL, without the user and password (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

function reason(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; errors?: unknown };
  // pg reports a refused connection to a host with several addresses as an AggregateError with no message.
  if (Array.isArray(e.errors) && e.errors.length > 0) return reason(e.errors[0]);
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(e.code ?? error);
  return message;
}

/** CHARLA_DATABASE_URL set: PostgreSQL (migrated before use); otherwise SQLite in the data directory. */
export async function openStore(config: ServerConfig): Promise<Store> {
  if (config.databaseUrl === null) return new SqliteStore(config.dataDir, config.sqliteSynchronous);
  try {
    return await PostgresStore.open({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  } catch (error) {
    throw new BackendStartError(`CHARLA_DATABASE_URL: cannot use PostgreSQL at ${redactUrl(config.databaseUrl)}: ${reason(error)}`, { cause: error });
  }
}

/** CHARLA_NATS_URL set: NATS (with JetStream for control events); otherwise the in-process bus. */
export async function openBus(config: ServerConfig, nodeName: string): Promise<Bus> {
  if (config.natsUrl === null) return new MemoryBus();
  try {
    return await NatsBus.connect({ url: config.natsUrl, prefix: config.natsPrefix, name: nodeName });
  } catch (error) {
    throw new BackendStartError(`CHARLA_NATS_URL: cannot use NATS at ${redactUrl(config.natsUrl)}: ${reason(error)}`, { cause: error });
  }
}
