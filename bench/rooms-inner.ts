import { type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectSfu, type RemoteSfu } from '@charla/sfu/remote';
import { wallClock } from '@charla/sfu/testing/client';
import { cpuMs, sleep, spawnPinned, stopProcess } from './procs.ts';
import { summarizeProfile } from './profile.ts';
import type { RoomsConfig, RoomsResult } from './rooms.ts';
import { BUCKET_MS, BUCKETS, type ClientReport, type Speak, type WorkerCommand, type WorkerEvent } from './rooms-worker.ts';

/**
 * The rooms benchmark, inside a loopback-only network namespace (bench/rooms.ts re-executes this
 * file under `unshare -n`). This process plays the Charla server: it drives a `charla sfu`
 * process (pinned to CPU 0) through the control socket, and relays offers/answers to the
 * generator processes (pinned to the other CPUs) that host the synthetic participants.
 * Prints one JSON line: RoomsResult.
 */

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const SECRET = 'bench-secret-0123456789abcdef';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function histogramPercentile(histogram: Map<number, number>, p: number): number {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const target = (p / 100) * total;
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket)!;
    if (seen >= target) return (bucket + 0.5) * BUCKET_MS;
  }
  return BUCKETS * BUCKET_MS;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as RoomsConfig;
  const generatorCpus = cpus().length > 1 ? `1-${cpus().length - 1}` : '0';
  const profileDir = config.profileDir;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const sfuChild = spawnPinned({
    cpu: '0',
    command: process.execPath,
    args: [
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      here('../packages/sfu/src/bin.ts'),
      '--port', '0', '--ice-address', '127.0.0.1', '--ice-interface', '127.0.0.1',
      '--last-n', String(config.lastN), '--audio-top-k', String(config.audioTopK), '--drain-timeout', '0', '--log-level', 'info',
    ],
    env: { ...process.env, CHARLA_SFU_SECRET: SECRET, ...(process.env.ROOMS_SFU_DEBUG ? { DEBUG: process.env.ROOMS_SFU_DEBUG } : {}) },
    stdio: 'pipe',
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    sfuChild.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    sfuChild.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    sfuChild.once('exit', (code) => reject(new Error(`the SFU exited (${code}) before listening`)));
  });
  const sfuPid = sfuChild.pid!;

  const workers: ChildProcess[] = [];
  const answers = new Map<number, { resolve: (sdp: string) => void; reject: (e: Error) => void }>();
  const reports = new Map<number, (e: Extract<WorkerEvent, { t: 'report' }>) => void>();
  const firstMedia = new Map<string, number>();
  const workerOf = new Map<string, ChildProcess>();
  for (let w = 0; w < config.workers; w++) {
    const child = spawnPinned({ cpu: generatorCpus, command: process.execPath, args: [here('./rooms-worker.ts')], ipc: true });
    child.on('message', (event: WorkerEvent) => {
      if (event.t === 'answer') answers.get(event.reqId)?.resolve(event.sdp);
      else if (event.t === 'answerFailed') answers.get(event.reqId)?.reject(new Error(event.message));
      else if (event.t === 'firstMedia') firstMedia.set(event.id, event.at);
      else if (event.t === 'report') reports.get(event.reqId)?.(event);
      if (event.t === 'answer' || event.t === 'answerFailed') answers.delete(event.reqId);
    });
    workers.push(child);
  }
  const command = (child: ChildProcess, c: WorkerCommand) => child.send(c);
  let nextReq = 1;

  const disconnected: string[] = [];
  const sfu: RemoteSfu = await connectSfu(url, SECRET, { onDisconnected: (_room, id) => disconnected.push(id) });
  // ROOMS_STATUS=1: a progress line every 5 s on stderr (diagnosing a run).
  const status = process.env.ROOMS_STATUS
    ? setInterval(() => {
        const stats = sfu.stats('bench');
        const generators = workers.reduce((sum, w) => sum + (w.pid ? cpuMs(w.pid) : 0), 0);
        console.error(`status: sfu cpu ${cpuMs(sfuPid)} ms, generators cpu ${generators} ms, load ${JSON.stringify(sfu.load())}, forwarded ${stats?.forwardedPackets ?? 0}, with media ${firstMedia.size}, disconnected ${disconnected.length}, pending answers ${answers.size}`);
      }, 5000)
    : undefined;
  const ids = Array.from({ length: config.participants }, (_, i) => `p${String(i).padStart(2, '0')}`);
  // A few speakers: one all the time, two taking turns every 4 s; the rest silent.
  const speakOf = (i: number): Speak => (i === 0 ? 'always' : i === 1 ? 'even' : i === 2 ? 'odd' : 'never');

  const joinStarted = new Map<string, number>();
  const negotiated: Promise<void>[] = [];
  const tJoin0 = performance.now();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const worker = workers[i % workers.length]!;
    workerOf.set(id, worker);
    command(worker, { t: 'create', id, speak: speakOf(i), createdAt: wallClock() });
    joinStarted.set(id, wallClock());
    const participant = sfu.join('bench', id, (offer) => new Promise((resolve, reject) => {
      const reqId = nextReq++;
      answers.set(reqId, { resolve: (sdp) => resolve({ type: 'answer', sdp }), reject });
      command(worker, { t: 'offer', id, reqId, sdp: offer.sdp });
    }));
    negotiated.push(participant.negotiated());
    await sleep(config.joinIntervalMs);
    // One join at a time: the next participant joins once this one receives media (or after 20 s),
    // so each join time is that of one person entering a room of i others, not of a stampede.
    const waitUntil = Date.now() + 20_000;
    while (i > 0 && !firstMedia.has(id) && Date.now() < waitUntil) await sleep(20);
  }
  await Promise.allSettled(negotiated);
  const deadline = Date.now() + 60_000;
  while (firstMedia.size < ids.length - 1 && Date.now() < deadline) await sleep(100);
  const joinAllMs = performance.now() - tJoin0;
  const joinTimes = ids.slice(1).map((id) => (firstMedia.get(id) ?? NaN) - joinStarted.get(id)!).filter(Number.isFinite).sort((a, b) => a - b);

  await sleep(config.warmupMs);
  for (const worker of workers) command(worker, { t: 'reset' });
  await sleep(200);
  const cpu0 = cpuMs(sfuPid);
  const generatorCpu = () => workers.reduce((sum, w) => sum + (w.pid ? cpuMs(w.pid) : 0), 0);
  const gen0 = generatorCpu();
  const packets0 = sfu.stats('bench')?.forwardedPackets ?? 0;
  const t0 = performance.now();
  const streamSamples: number[] = [];
  const sampler = setInterval(() => streamSamples.push(sfu.load().forwardedStreams), 1000);
  await sleep(config.measureMs);
  clearInterval(sampler);
  // The load push lags by up to a second: read the SFU's counters, then the receivers'.
  await sleep(1100);
  const cpu1 = cpuMs(sfuPid);
  const gen1 = generatorCpu();
  const packets1 = sfu.stats('bench')?.forwardedPackets ?? 0;
  const elapsedMs = performance.now() - t0;

  const histogram = new Map<number, number>();
  const clientReports: ClientReport[] = [];
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
    const reqId = nextReq++;
    reports.set(reqId, (event) => {
      clientReports.push(...event.clients);
      for (const [bucket, count] of event.histogram) histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
      resolve();
    });
    command(worker, { t: 'report', reqId });
  })));

  const received = clientReports.reduce((a, c) => a + c.receivedPackets, 0);
  const lost = clientReports.reduce((a, c) => a + c.lostPackets, 0);
  const sent = clientReports.reduce((a, c) => a + c.sentAudio + c.sentVideo, 0);
  const videos = clientReports.map((c) => c.videoStreams).sort((a, b) => a - b);
  const forwardedStreams = streamSamples.length ? streamSamples.reduce((a, b) => a + b, 0) / streamSamples.length : NaN;
  const cpuCores = (cpu1 - cpu0) / elapsedMs;

  const stats = sfu.stats('bench');
  const disconnectedDuringRun = disconnected.length;
  clearInterval(status);
  await sfu.close();
  await stopProcess(sfuChild, 15_000);
  for (const worker of workers) command(worker, { t: 'close' });
  await Promise.all(workers.map((w) => stopProcess(w, 5_000)));

  let profile: RoomsResult['profile'];
  if (profileDir) {
    const file = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
    if (file) profile = summarizeProfile(join(profileDir, file));
  }
  const result: RoomsResult = {
    config,
    participants: stats?.participants.length ?? 0,
    joinedWithMedia: joinTimes.length + 1,
    disconnected: disconnectedDuringRun,
    joinAllMs,
    joinMs: { p50: percentile(joinTimes, 50), p99: percentile(joinTimes, 99), max: joinTimes.at(-1) ?? NaN },
    measureMs: elapsedMs,
    sfuCpuCores: cpuCores,
    generatorCpuCores: (gen1 - gen0) / elapsedMs,
    forwardedStreams,
    cpuPctPerStream: (cpuCores * 100) / forwardedStreams,
    forwardedPacketsPerSecond: ((packets1 - packets0) * 1000) / elapsedMs,
    cpuUsPerPacket: ((cpu1 - cpu0) * 1000) / (packets1 - packets0),
    sentPackets: sent,
    receivedPackets: received,
    lostPackets: lost,
    lossPct: (lost / (received + lost)) * 100,
    videosPerReceiver: { min: videos[0] ?? 0, max: videos.at(-1) ?? 0 },
    latencyMs: { p50: histogramPercentile(histogram, 50), p99: histogramPercentile(histogram, 99), max: histogramPercentile(histogram, 100) },
    keyFrameRequests: stats?.keyFrameRequests ?? 0,
    ...(profile ? { profile } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
