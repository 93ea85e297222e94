import { execFileSync } from 'node:child_process';
import type { AckPolicy } from './gen/charla-conn.ts';

export const SCENARIOS = ['connections', 'one-to-one', 'group', 'multi-node', 'web', 'rooms'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Options {
  quick: boolean;
  only: ScenarioName[];
  /** SQLite durability settings to run Charla with; the first is the headline. */
  syncs: ('full' | 'normal')[];
  ack: AckPolicy;
  /** Also run Charla under --cpu-prof for the 1:1 and group scenarios and summarise the hot spots. */
  profile: boolean;
  /** 1:1 open-loop rates (msgs/s) measured after max and half, e.g. to find where p99 stays ≤ 20 ms. */
  rates: number[];
  /**
   * How many times the 1:1 scenario runs, relay and Charla alternating, each time on fresh
   * processes; the summary gives medians (the reference figures are medians of 3 runs).
   */
  runs: number;
  connections: number;
  /** What was asked for, when the process file limit forced fewer (see nofileHardLimit). */
  connectionsRequested: number;
  /** The hard RLIMIT_NOFILE a process gets here: one server process cannot hold more sockets. */
  nofileHardLimit: number;
  connectionGenerators: number;
  devicesPerAccount: number;
  pairs: number;
  window: number;
  groupMembers: number;
  groupSenders: number;
  /** Offered group messages/s, rising; each step is delivered to members − 1 devices. */
  groupRates: number[];
  warmupMs: number;
  measureMs: number;
  /** Measured MLS ciphertext size of a short text (set at startup). */
  bodySize: number;
}

const USAGE = `usage: npm run bench -- [--quick] [--only=${SCENARIOS.join(',')}] [--sync=full[,normal]]
                        [--ack=sdk|each|batch|none] [--profile] [--connections=N]
                        [--rates=N,…]   (1:1: also measure open loop at these msgs/s)
                        [--runs=N]      (1:1: N runs, relay and Charla alternating; medians)`;

export function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${USAGE}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const known = new Set(['quick', 'only', 'sync', 'ack', 'profile', 'connections', 'rates', 'runs', 'help']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  if (flags.has('help')) throw new Error(USAGE);
  const quick = flags.has('quick');
  const only = (flags.get('only')?.split(',') ?? [...SCENARIOS]) as ScenarioName[];
  for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}\n${USAGE}`);
  const syncs = (flags.get('sync') ?? 'full').split(',') as ('full' | 'normal')[];
  for (const s of syncs) if (s !== 'full' && s !== 'normal') throw new Error(`--sync takes full and/or normal\n${USAGE}`);
  const ack = (flags.get('ack') ?? 'sdk') as AckPolicy;
  if (!['sdk', 'each', 'batch', 'none'].includes(ack)) throw new Error(`--ack takes sdk, each, batch or none\n${USAGE}`);
  const rates = flags.has('rates') ? flags.get('rates')!.split(',').map(Number) : [];
  if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 1_000_000)) throw new Error(`--rates takes msgs/s from 1 to 1000000, comma-separated\n${USAGE}`);
  const runs = Number(flags.get('runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new Error(`--runs takes 1 to 9\n${USAGE}`);
  const requested = Number(flags.get('connections') ?? (quick ? 2_000 : 50_000));
  if (!Number.isInteger(requested) || requested < 1 || requested > 200_000) throw new Error('--connections: 1..200000');
  // Without CAP_SYS_RESOURCE (containers) `ulimit -n` cannot go past the hard limit, and the server
  // is one process: leave it room for its database, listener and HTTP sockets.
  const nofileHardLimit = Number(execFileSync('sh', ['-c', 'ulimit -n 300000 2>/dev/null; ulimit -Hn'], { encoding: 'utf8' }).trim()) || 1024;
  const connections = Math.min(requested, nofileHardLimit - 1_000);
  return {
    quick,
    only,
    syncs,
    ack,
    profile: flags.has('profile'),
    rates,
    runs,
    connections,
    connectionsRequested: requested,
    nofileHardLimit,
    // Each generator keeps well under its own file limit and its source addresses' ephemeral ports.
    connectionGenerators: Math.max(1, Math.ceil(connections / Math.min(20_000, nofileHardLimit - 1_000))),
    devicesPerAccount: 500,
    pairs: quick ? 20 : 100,
    window: 4,
    groupMembers: 100,
    groupSenders: 10,
    groupRates: quick ? [20, 200, 2_000] : [10, 25, 50, 100, 250, 500, 1_000, 1_500, 2_000, 3_000],
    warmupMs: quick ? 500 : 2_000,
    measureMs: quick ? 1_500 : 5_000,
    bodySize: 0,
  };
}
