import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startServer } from '@charla/server';
import { CharlaClient, MemoryStore, registerAccount, loginAccount, type ClientEvents, type LocalStore } from '../src/index.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  /** Stops the server, keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A real server on a free loopback port with its own data directory and fast test settings. */
export async function bootServer(extraEnv: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'charla-sdk-'));
  const env = {
    CHARLA_HOST: '127.0.0.1',
    CHARLA_DATA_DIR: dataDir,
    CHARLA_LOG_LEVEL: 'silent',
    CHARLA_ARGON2_MEMORY_KIB: '64',
    CHARLA_SQLITE_SYNCHRONOUS: 'normal',
    CHARLA_FRAMES_PER_SECOND: '2000',
    CHARLA_FRAME_BURST: '4000',
    ...extraEnv,
  };
  let running: Awaited<ReturnType<typeof startServer>> | undefined = await startServer(loadConfig({ ...env, CHARLA_PORT: '0' }));
  const url = running.url;
  const port = String(running.port);
  return {
    url,
    dataDir,
    async stop() {
      await running?.close();
      running = undefined;
    },
    async start() {
      running = await startServer(loadConfig({ ...env, CHARLA_PORT: port }));
    },
    async close() {
      await running?.close();
      running = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct horse battery';

export interface TestUser {
  name: string;
  store: LocalStore;
  client: CharlaClient;
}

export async function newUser(server: TestServer, name: string): Promise<TestUser> {
  const store = new MemoryStore();
  await registerAccount(store, { serverUrl: server.url, username: name, password: PASSWORD });
  const client = await CharlaClient.open(store);
  await client.connect();
  return { name, store, client };
}

/** Another device of an existing account, with its own store. */
export async function newDevice(server: TestServer, name: string): Promise<TestUser> {
  const store = new MemoryStore();
  await loginAccount(store, { serverUrl: server.url, username: name, password: PASSWORD, deviceName: 'second' });
  const client = await CharlaClient.open(store);
  await client.connect();
  return { name, store, client };
}

/** Resolves with the first event of that type matching `pred`, or rejects after `ms`. */
export function waitFor<K extends keyof ClientEvents>(
  client: CharlaClient,
  event: K,
  pred: (payload: ClientEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, ms);
    const off = client.on(event, (payload) => {
      if (!pred(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Polls `check` until it returns true (bounded). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

export async function texts(client: CharlaClient, conversationId: string): Promise<string[]> {
  return (await client.history(conversationId)).filter((m) => !m.deleted).map((m) => m.text);
}
