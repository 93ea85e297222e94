import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnPinned, stopProcess, waitUntil } from './procs.ts';
import { SERVER_CPU } from './targets.ts';

/** What the two nodes of scenario 5 share. */
export interface Backing {
  databaseUrl: string;
  natsUrl: string;
  /** Whether the bench started them (and so reports them as on the server core). */
  ownedByBench: boolean;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * PostgreSQL and NATS (JetStream) for the multi-node scenario. If CHARLA_DATABASE_URL and
 * CHARLA_NATS_URL are set, those are used; otherwise the bench starts its own on loopback, in
 * temp dirs, pinned to the server core with the nodes (fsync on: durable, like SQLite FULL).
 */
export async function startBacking(): Promise<Backing> {
  const envDb = process.env.CHARLA_DATABASE_URL;
  const envNats = process.env.CHARLA_NATS_URL;
  if (envDb && envNats) return { databaseUrl: envDb, natsUrl: envNats, ownedByBench: false, stop: async () => undefined };

  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children.reverse()) await stopProcess(c, 10_000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    // PostgreSQL refuses to run as root: its data dir belongs to the postgres user.
    const pgDir = mkdtempSync(join(tmpdir(), 'charla-bench-pg-'));
    dirs.push(pgDir);
    const pgUid = Number(run('id', ['-u', 'postgres']).trim());
    const pgGid = Number(run('id', ['-g', 'postgres']).trim());
    chownSync(pgDir, pgUid, pgGid);
    run('runuser', ['-u', 'postgres', '--', 'initdb', '-D', join(pgDir, 'data'), '--auth=trust', '-U', 'postgres', '--no-instructions']);
    const pgPort = await freePort();
    children.push(
      spawnPinned({
        cpu: SERVER_CPU,
        user: 'postgres',
        command: 'postgres',
        args: ['-D', join(pgDir, 'data'), '-h', '127.0.0.1', '-p', String(pgPort), '-k', pgDir, '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'max_connections=200'],
        stdio: 'ignore',
      }),
    );
    await waitUntil('PostgreSQL', () => {
      run('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-c', 'CREATE DATABASE charla']);
      return true;
    }, 30_000);

    const natsDir = mkdtempSync(join(tmpdir(), 'charla-bench-nats-'));
    dirs.push(natsDir);
    const natsPort = await freePort();
    children.push(spawnPinned({ cpu: SERVER_CPU, command: 'nats-server', args: ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsDir], stdio: 'ignore' }));
    await waitUntil('NATS', async () => {
      const { connect } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = connect(natsPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    }, 15_000);
    return { databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/charla`, natsUrl: `nats://127.0.0.1:${natsPort}`, ownedByBench: true, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
