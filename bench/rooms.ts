import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProfileSummary } from './profile.ts';

/**
 * `npm run bench -- --only=rooms`: one 50-participant room on one `charla sfu` process pinned to
 * CPU 0, synthetic werift participants in 5 generator processes on the other CPU(s), all inside a
 * loopback-only network namespace (house rule for media: this re-executes bench/rooms-inner.ts
 * under `unshare -n`). Knobs (environment): ROOMS_PARTICIPANTS (50), ROOMS_LAST_N (3),
 * ROOMS_AUDIO_TOP_K (3), ROOMS_WORKERS (5), ROOMS_WARMUP_MS, ROOMS_MEASURE_MS, ROOMS_PROFILE_DIR
 * (run the SFU under --cpu-prof and summarise it).
 */

export type RoomsConfig = {
  participants: number;
  lastN: number;
  audioTopK: number;
  workers: number;
  joinIntervalMs: number;
  warmupMs: number;
  measureMs: number;
  profileDir?: string;
};

export type RoomsResult = {
  config: RoomsConfig;
  participants: number;
  joinedWithMedia: number;
  disconnected: number;
  joinAllMs: number;
  /** From `Sfu.join` to the participant's first received media packet (offer/answer, ICE, DTLS, key frame). */
  joinMs: { p50: number; p99: number; max: number };
  measureMs: number;
  /** SFU process CPU time / wall time over the measurement window (1 = one core). */
  sfuCpuCores: number;
  /** The generator processes' CPU over the window (they share the other core: above ~0.9 they are the bottleneck). */
  generatorCpuCores: number;
  /** Average (receiver, publisher, kind) streams being forwarded. */
  forwardedStreams: number;
  cpuPctPerStream: number;
  forwardedPacketsPerSecond: number;
  cpuUsPerPacket: number;
  sentPackets: number;
  receivedPackets: number;
  /** RTP sequence gaps at the receivers (the SFU keeps forwarded sequences continuous). */
  lostPackets: number;
  lossPct: number;
  videosPerReceiver: { min: number; max: number };
  /** Payload send time (publisher process) → receive time (receiver process), through the SFU. */
  latencyMs: { p50: number; p99: number; max: number };
  keyFrameRequests: number;
  profile?: ProfileSummary;
};

const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

export function roomsConfig(quick: boolean): RoomsConfig {
  return {
    participants: num('ROOMS_PARTICIPANTS', quick ? 20 : 50),
    lastN: num('ROOMS_LAST_N', 3),
    audioTopK: num('ROOMS_AUDIO_TOP_K', 3),
    workers: num('ROOMS_WORKERS', 5),
    joinIntervalMs: num('ROOMS_JOIN_INTERVAL_MS', 100),
    warmupMs: num('ROOMS_WARMUP_MS', quick ? 5_000 : 10_000),
    measureMs: num('ROOMS_MEASURE_MS', quick ? 10_000 : 30_000),
    ...(process.env.ROOMS_PROFILE_DIR ? { profileDir: process.env.ROOMS_PROFILE_DIR } : {}),
  };
}

export async function runRooms(quick: boolean): Promise<RoomsResult> {
  const config = roomsConfig(quick);
  const inner = fileURLToPath(new URL('./rooms-inner.ts', import.meta.url));
  const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$1" "$2"', process.execPath, inner, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = out.trim().split('\n').filter((l) => l.startsWith('{"config"')).pop();
  if (code !== 0 || !line) throw new Error(`rooms benchmark failed (exit ${code}); needs root for unshare -n`);
  return JSON.parse(line) as RoomsResult;
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');

export function roomsMarkdown(r: RoomsResult): string {
  const c = r.config;
  return [
    `### Rooms: ${c.participants} participants, one SFU process on one core (last-N ${c.lastN}, audio top-${c.audioTopK})`,
    '',
    '| Measure | Value |',
    '| --- | --- |',
    `| Participants joined / with media / disconnected | ${r.participants} / ${r.joinedWithMedia} / ${r.disconnected} |`,
    `| Time to join (join → first media) | p50 ${f(r.joinMs.p50, 0)} ms, p99 ${f(r.joinMs.p99, 0)} ms, max ${f(r.joinMs.max, 0)} ms (one at a time, each once the previous one had media; all ${c.participants} in ${f(r.joinAllMs / 1000)} s) |`,
    `| Forwarded streams (avg) | ${f(r.forwardedStreams, 0)} (videos per receiver ${r.videosPerReceiver.min}–${r.videosPerReceiver.max}) |`,
    `| Forwarded packets/s | ${f(r.forwardedPacketsPerSecond, 0)} |`,
    `| SFU CPU | ${f(r.sfuCpuCores * 100)} % of one core; ${f(r.cpuPctPerStream, 2)} % per forwarded stream; ${f(r.cpuUsPerPacket)} µs per forwarded packet |`,
    `| Generators' CPU (5 processes on the other core) | ${f(r.generatorCpuCores * 100)} % of one core |`,
    `| Packets sent / received / lost | ${r.sentPackets} / ${r.receivedPackets} / ${r.lostPackets} (${f(r.lossPct, 3)} %) over ${f(r.measureMs / 1000)} s |`,
    `| Latency publisher → SFU → receiver | p50 ${f(r.latencyMs.p50, 2)} ms, p99 ${f(r.latencyMs.p99, 2)} ms, max ${f(r.latencyMs.max, 1)} ms |`,
    `| Key-frame requests sent by the SFU | ${r.keyFrameRequests} |`,
  ].join('\n');
}
