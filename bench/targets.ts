import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, spawnPinned, stopProcess, waitUntil } from './procs.ts';
import { SERVER_NODE_FLAGS } from '../packages/server/src/node-flags.ts';

export const REPO = resolve(import.meta.dirname, '..');
/** The server gets core 0, generators core 1 (the setup for a 2-core machine). */
export const SERVER_CPU = '0';
export const GENERATOR_CPU = '1';
export const NOFILE = 300_000;

/**
 * Node flags for every generator process, then BENCH_GEN_NODE_ARGS. A generator measures latency
 * on its own clock, so its pauses count against the server it measures. Driving 200 Charla
 * connections it promotes many short-lived objects (requests in flight, acks due), and V8 ran a
 * mark-compact every 200-300 ms: 8-10 ms of pause plus up to 17 ms of incremental marking, and the
 * bursts of 20-50 ms latencies they made were most of Charla's open-loop p99 (docs/benchmarks.md,
 * "The generator's own pauses"). A larger initial old space holds those collections off, as the
 * server's own flag does (SERVER_NODE_FLAGS); the relay's generator runs with it too.
 */
export const GENERATOR_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256', ...flagsFromEnv('BENCH_GEN_NODE_ARGS')];

/** Extra Node flags from an environment variable, space-separated (e.g. "--trace-gc"). */
function flagsFromEnv(name: string): string[] {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}

export type TargetKind = 'charla' | 'relay';

export interface Target {
  readonly kind: TargetKind;
  readonly url: string;
  readonly pid: number;
  readonly label: string;
  stop(): Promise<void>;
}

export interface CharlaOptions {
  sync: 'full' | 'normal';
  /** Write a V8 CPU profile here when the server exits. */
  profileDir?: string | undefined;
  /** Extra environment, e.g. CHARLA_DATABASE_URL for multi-node. */
  env?: Record<string, string>;
  /** Use this data dir (multi-node: none needed, but SQLite fallback keeps its own). */
  label?: string;
}

/**
 * The settings every Charla run uses, and why:
 * - argon2 memory at its minimum: setup creates tens of thousands of devices by login, each hashing the
 *   authKey; the hash is not what we measure (the bench never logs in during a measurement).
 * - frame rate limit raised: the generator drives hundreds of devices at rates far above what one
 *   person sends, and acks every event like the SDK does; throttling would measure the limiter.
 * - log level warn: info logs a line per login.
 */
export function benchServerEnv(port: number, dataDir: string, sync: 'full' | 'normal'): Record<string, string> {
  return {
    CHARLA_PORT: String(port),
    CHARLA_HOST: '127.0.0.1',
    CHARLA_DATA_DIR: dataDir,
    CHARLA_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CHARLA_SERVER_NAME: 'bench.local',
    CHARLA_LOG_LEVEL: 'warn',
    CHARLA_ARGON2_MEMORY_KIB: '8',
    CHARLA_FRAMES_PER_SECOND: '1000000',
    CHARLA_FRAME_BURST: '1000000',
    CHARLA_SQLITE_SYNCHRONOUS: sync,
  };
}

async function waitHttp(child: ChildProcess, url: string, what: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(what, async () => {
    if (exited) throw new Error(`${what} exited before listening`);
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  }, 30_000);
}

/** The flags production runs with, then BENCH_SERVER_NODE_ARGS (a later flag wins over an earlier one). */
export function serverNodeArgs(): string[] {
  return [...SERVER_NODE_FLAGS, ...flagsFromEnv('BENCH_SERVER_NODE_ARGS')];
}

export async function startCharla(o: CharlaOptions): Promise<Target> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'charla-bench-'));
  // BENCH_SERVER_NODE_ARGS: extra Node flags for the server, e.g. "--trace-gc".
  const nodeArgs = [...serverNodeArgs(), ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])];
  const child = spawnPinned({
    cpu: SERVER_CPU,
    nofile: NOFILE,
    command: process.execPath,
    args: [...nodeArgs, join(REPO, 'packages/server/src/main.ts')],
    env: { ...process.env, ...benchServerEnv(port, dataDir, o.sync), ...o.env },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(child, `${url}/v1/info`, 'the Charla server');
  } catch (error) {
    await stopProcess(child, 2_000);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: 'charla',
    url,
    pid: child.pid!,
    label: o.label ?? `charla (sync=${o.sync})`,
    async stop() {
      // A profiled server must exit on its own (SIGTERM → drain) for V8 to write the profile.
      await stopProcess(child, o.profileDir ? 30_000 : 10_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startRelay(): Promise<Target> {
  const port = await freePort();
  const child = spawnPinned({
    cpu: SERVER_CPU,
    nofile: NOFILE,
    command: process.execPath,
    args: [join(REPO, 'bench/relay.ts')],
    env: { ...process.env, RELAY_PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(child, url, 'the relay');
  return { kind: 'relay', url, pid: child.pid!, label: 'ws relay', stop: () => stopProcess(child, 5_000) };
}
