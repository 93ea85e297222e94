import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { CharlaClient } from '@charla/sdk';
import { SqliteStore } from '@charla/sdk/node';
import type { OptionSpec } from './args.ts';
import { note, type Io } from './output.ts';

export interface CommandContext {
  io: Io;
  stdin: Readable & { isTTY?: boolean };
  serverUrl: string;
  profileDir: string;
  values: Record<string, string | boolean | undefined>;
  /** Opens this profile's store (creating the profile folder). */
  openStore(): SqliteStore;
  /** Runs `fn` with a client that has caught up with the server; closes it afterwards. */
  withClient<T>(fn: (client: CharlaClient) => Promise<T>, options?: { live?: boolean }): Promise<T>;
}

export interface Command {
  /** One or two words: `send`, `group create`. */
  name: string;
  usage: string;
  summary: string;
  options?: OptionSpec;
  run(ctx: CommandContext, args: string[]): Promise<number | void>;
}

export function makeContext(io: Io, stdin: CommandContext['stdin'], env: NodeJS.ProcessEnv, values: CommandContext['values']): CommandContext {
  const serverUrl = String(values['server'] ?? env['CHARLA_SERVER'] ?? 'http://localhost:8080').replace(/\/+$/, '');
  const profileDir = resolve(String(values['profile'] ?? env['CHARLA_PROFILE'] ?? join(homedir(), '.charla')));
  const openStore = (): SqliteStore => {
    mkdirSync(profileDir, { recursive: true, mode: 0o700 });
    return new SqliteStore(join(profileDir, 'charla.db'));
  };
  return {
    io,
    stdin,
    serverUrl,
    profileDir,
    values,
    openStore,
    async withClient(fn, options = {}) {
      const store = openStore();
      try {
        const client = await CharlaClient.open(store, { reconnect: options.live === true });
        client.on('warning', ({ message }) => note(io, `warning: ${message}`));
        await client.connect();
        try {
          return await fn(client);
        } finally {
          await client.close();
        }
      } finally {
        await store.close();
      }
    },
  };
}
