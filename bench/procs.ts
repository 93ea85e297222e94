import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Every process the bench started, so an error or Ctrl-C still stops them all. */
const started = new Set<ChildProcess>();

export interface PinnedOptions {
  /** CPU list for taskset, e.g. "0". */
  cpu: string;
  /** Open-file limit to raise to before exec (we run as root; falls back silently if refused). */
  nofile?: number;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Open an IPC channel (generator workers). */
  ipc?: boolean;
  /** Where the child's stdout/stderr go; 'pipe' lets the caller watch for readiness. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Run as this user (postgres refuses root). */
  user?: string;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Spawns `command` pinned to a CPU with `taskset`, through `sh -c 'ulimit -n …; exec …'` so the
 * limit applies to the process itself. Every exec keeps the pid, so the returned pid is the
 * program's own (for /proc/<pid>/status).
 */
export function spawnPinned(o: PinnedOptions): ChildProcess {
  const inner = ['taskset', '-c', o.cpu, ...(o.user ? ['runuser', '-u', o.user, '--'] : []), o.command, ...o.args].map(shellQuote).join(' ');
  const script = `${o.nofile ? `ulimit -n ${o.nofile} 2>/dev/null || ulimit -n $(ulimit -Hn); ` : ''}exec ${inner}`;
  const out = o.stdio ?? 'inherit';
  const child = spawn('sh', ['-c', script], {
    env: o.env ?? process.env,
    stdio: o.ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([gone, killed]);
  clearTimeout(timer);
  await gone;
}

/** Kills whatever is still running (error paths, SIGINT). */
export function killAll(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** Resident set size of a process in KiB, from /proc/<pid>/status. */
export function rssKib(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** CPU time (user + system) a process used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces, hence the last ')').
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
