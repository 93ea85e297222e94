import { createSyntheticClient, wallClock, type SyntheticClient } from '@charla/sfu/testing/client';

/**
 * One generator process of the rooms benchmark (bench/rooms-inner.ts forks five): it hosts ten
 * synthetic werift participants, answers the SFU's offers relayed over IPC, and reports what its
 * participants received (loss from RTP sequence gaps, latency from the send time in each payload).
 */

export type Speak = 'always' | 'even' | 'odd' | 'never';
export type WorkerCommand =
  | { t: 'create'; id: string; speak: Speak; createdAt: number }
  | { t: 'offer'; id: string; reqId: number; sdp: string }
  | { t: 'reset' }
  | { t: 'report'; reqId: number }
  | { t: 'close' };
/** Latency histogram: 100 µs buckets up to 5 s, then one overflow bucket. */
export const BUCKET_MS = 0.1;
export const BUCKETS = 50_000;
export type ClientReport = {
  id: string;
  sentAudio: number;
  sentVideo: number;
  receivedPackets: number;
  lostPackets: number;
  videoStreams: number;
  audioStreams: number;
};
export type WorkerEvent =
  | { t: 'answer'; reqId: number; sdp: string }
  | { t: 'answerFailed'; reqId: number; message: string }
  | { t: 'firstMedia'; id: string; at: number }
  | { t: 'report'; reqId: number; clients: ClientReport[]; histogram: [number, number][] };

const SWITCH_MS = 4000;
const clients = new Map<string, SyntheticClient>();
const baseline = new Map<string, { audio: number; video: number }>();
const send = (event: WorkerEvent) => process.send?.(event);

function levelFor(speak: Speak): () => number {
  if (speak === 'always') return () => 30;
  if (speak === 'never') return () => 127;
  const parity = speak === 'even' ? 0 : 1;
  return () => (Math.floor(wallClock() / SWITCH_MS) % 2 === parity ? 35 : 127);
}

function create(id: string, speak: Speak): void {
  const client = createSyntheticClient({ id, fps: 30, packetsPerFrame: 2, videoPayloadBytes: 1000, keyFrameIntervalMs: 3000, audioLevel: levelFor(speak) });
  clients.set(id, client);
  if (process.env.ROOMS_DEBUG) client.pc.connectionStateChange.subscribe((s) => console.error(((Date.now() / 1000) % 1000).toFixed(1), id, 'pc', s));
  baseline.set(id, { audio: 0, video: 0 });
  const timer = setInterval(() => {
    if (client.received.size === 0) return;
    clearInterval(timer);
    send({ t: 'firstMedia', id, at: wallClock() });
  }, 5);
}

function report(reqId: number): void {
  const histogram = new Map<number, number>();
  const out: ClientReport[] = [];
  for (const [id, client] of clients) {
    let receivedPackets = 0;
    let lostPackets = 0;
    let videoStreams = 0;
    let audioStreams = 0;
    for (const [key, r] of client.received) {
      receivedPackets += r.packets;
      lostPackets += r.seqGaps;
      if (r.packets > 0) {
        if (key.endsWith(':video')) videoStreams++;
        else audioStreams++;
      }
      for (const latency of r.latencies) {
        const bucket = Math.min(BUCKETS, Math.max(0, Math.floor(latency / BUCKET_MS)));
        histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
      }
    }
    const base = baseline.get(id) ?? { audio: 0, video: 0 };
    out.push({ id, sentAudio: client.sent.audio - base.audio, sentVideo: client.sent.video - base.video, receivedPackets, lostPackets, videoStreams, audioStreams });
  }
  send({ t: 'report', reqId, clients: out, histogram: [...histogram] });
}

process.on('message', (message: WorkerCommand) => {
  switch (message.t) {
    case 'create':
      create(message.id, message.speak);
      return;
    case 'offer': {
      const client = clients.get(message.id);
      if (!client) {
        send({ t: 'answerFailed', reqId: message.reqId, message: 'unknown participant' });
        return;
      }
      client.signal({ type: 'offer', sdp: message.sdp }).then(
        (answer) => send({ t: 'answer', reqId: message.reqId, sdp: answer.sdp }),
        (error: unknown) => send({ t: 'answerFailed', reqId: message.reqId, message: String(error) }),
      );
      return;
    }
    case 'reset':
      // Start of the measurement window: keep lastSeq so gaps across the boundary still count.
      for (const [id, client] of clients) {
        for (const r of client.received.values()) {
          r.packets = 0;
          r.seqGaps = 0;
          r.counterGaps = 0;
          r.latencies = [];
        }
        baseline.set(id, { audio: client.sent.audio, video: client.sent.video });
      }
      return;
    case 'report':
      report(message.reqId);
      return;
    case 'close':
      void Promise.all([...clients.values()].map((c) => c.close())).finally(() => process.exit(0));
      return;
  }
});
