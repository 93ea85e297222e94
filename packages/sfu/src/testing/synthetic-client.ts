import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  useNACK,
  useOPUS,
  usePLI,
  useVP8,
  type RTCRtpSender,
} from 'werift';
import { useSrtpKeyObjects } from '../srtp-keys.ts';
import type { SessionDescription } from '../types.ts';

/**
 * A werift participant that answers the SFU's offers and publishes synthetic media at realistic
 * rates (tests and `npm run bench -- --only=rooms`). Payloads are fake but shaped like the real
 * thing where the SFU looks: VP8 payload descriptor + key-frame bit, and the RFC 6464 audio level
 * in the RTP header. Each payload carries who sent it, a per-stream counter and the send time, so
 * receivers can check integrity, loss and latency.
 */

export type SyntheticClientOptions = {
  id: string;
  /** Video frames per second (0: no video). Default 30. */
  fps?: number;
  /** RTP packets per video frame (key frames get 3× as many). Default 2. */
  packetsPerFrame?: number;
  /** Video payload bytes per packet. Default 1000 (≈ 500 kbit/s at 30 fps × 2). */
  videoPayloadBytes?: number;
  /** Periodic key frame interval (ms), besides those asked for by PLI. Default 3000. */
  keyFrameIntervalMs?: number;
  /** Send audio at 50 packets/s. Default true. */
  audio?: boolean;
  /** Audio level in -dBov to put in the header extension (0 loud … 127 silent); read per packet. */
  audioLevel?: () => number;
  /** Wall clock with sub-millisecond resolution, shared by processes on one machine. */
  clock?: () => number;
};

export type StreamReceipt = {
  packets: number;
  /** Sum of forward gaps in the RTP sequence numbers as received (after the SFU's rewriting). */
  seqGaps: number;
  lastSeq: number | undefined;
  /** Payload counter gaps: packets the publisher sent but that never arrived (includes pauses of forwarding). */
  counterGaps: number;
  lastCounter: number | undefined;
  keyFrames: number;
  firstKeyFrameBeforeOthers: boolean | undefined;
  lastAt: number;
  latencies: number[];
};

export type SyntheticClient = {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  /** Pass to `Sfu.join` as the signal callback. */
  signal(offer: SessionDescription): Promise<SessionDescription>;
  /** Received streams keyed `${publisherId}:${kind}`. */
  readonly received: Map<string, StreamReceipt>;
  readonly sent: { audio: number; video: number; keyFrames: number; pliReceived: number };
  /** Publishers whose `kind` packets arrived in the last `withinMs`. */
  receivingFrom(kind: 'audio' | 'video', withinMs?: number): string[];
  setAudioLevel(level: number): void;
  close(): Promise<void>;
};

const loopback = { iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' as const } };
const MAGIC = 0xc4;
const KIND_CODE = { audio: 1, video: 2 } as const;

export const wallClock = (): number => performance.timeOrigin + performance.now();

/** mids of the offer's m-sections of one kind that the SFU receives on (direction recvonly). */
function recvonlyMids(sdp: string, kind: 'audio' | 'video'): string[] {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .filter((section) => section.startsWith(kind) && /\r?\na=recvonly/.test(section))
    .map((section) => /\r?\na=mid:(\S+)/.exec(section)?.[1])
    .filter((mid): mid is string => mid !== undefined);
}

/** Our payload trailer: magic, kind, from-id length, from id, counter (u32), send time (f64). */
function encodeTrailer(id: string, kind: 'audio' | 'video', counter: number, at: number): Buffer {
  const idBytes = Buffer.from(id);
  const buf = Buffer.alloc(3 + idBytes.length + 12);
  buf[0] = MAGIC;
  buf[1] = KIND_CODE[kind];
  buf[2] = idBytes.length;
  idBytes.copy(buf, 3);
  buf.writeUInt32BE(counter >>> 0, 3 + idBytes.length);
  buf.writeDoubleBE(at, 7 + idBytes.length);
  return buf;
}

export function decodeTrailer(payload: Buffer, offset: number): { from: string; kind: 'audio' | 'video'; counter: number; at: number } | undefined {
  if (payload[offset] !== MAGIC) return undefined;
  const kind = payload[offset + 1] === 1 ? 'audio' : 'video';
  const len = payload[offset + 2] ?? 0;
  const start = offset + 3;
  if (payload.length < start + len + 12) return undefined;
  return {
    from: payload.toString('latin1', start, start + len),
    kind,
    counter: payload.readUInt32BE(start + len),
    at: payload.readDoubleBE(start + len + 4),
  };
}

/**
 * werift 0.25's DTLS client throws on a second HelloVerifyRequest (Flight3.exec), which the server
 * sends when it answers a retransmitted ClientHello: when the SFU took over 500 ms to answer (a
 * busy event loop, many joins at once), the client retransmitted and then failed the connection.
 * Browsers tolerate the duplicate; this makes the synthetic client drop it too.
 */
const patchedTransports = new WeakSet<object>();
type DtlsSocket = { onHandleHandshakes?: (assembled: { msg_type: number }[]) => Promise<void>; dtls?: { flight?: number } };

function ignoreDuplicateHelloVerify(socket: DtlsSocket | undefined): void {
  const original = socket?.onHandleHandshakes;
  if (!socket || !original) return;
  socket.onHandleHandshakes = (assembled) => {
    const kept = (socket.dtls?.flight ?? 0) >= 3 ? assembled.filter((h) => h.msg_type !== 3) : assembled;
    return kept.length > 0 ? original.call(socket, kept) : Promise.resolve();
  };
}

function tolerateDuplicateHelloVerify(pc: RTCPeerConnection): void {
  for (const transceiver of pc.getTransceivers()) {
    const transport = transceiver.sender.dtlsTransport as unknown as { dtls?: DtlsSocket } | undefined;
    if (!transport || patchedTransports.has(transport)) continue;
    patchedTransports.add(transport);
    let socket = transport.dtls;
    ignoreDuplicateHelloVerify(socket);
    Object.defineProperty(transport, 'dtls', {
      configurable: true,
      enumerable: true,
      get: () => socket,
      set: (value: DtlsSocket | undefined) => {
        socket = value;
        ignoreDuplicateHelloVerify(value);
      },
    });
  }
}

export function createSyntheticClient(options: SyntheticClientOptions): SyntheticClient {
  const id = options.id;
  const fps = options.fps ?? 30;
  const packetsPerFrame = options.packetsPerFrame ?? 2;
  const videoBytes = options.videoPayloadBytes ?? 1000;
  const keyFrameIntervalMs = options.keyFrameIntervalMs ?? 3000;
  const clock = options.clock ?? wallClock;
  let audioLevel = 127;
  const levelOf = options.audioLevel ?? (() => audioLevel);
  const pc = new RTCPeerConnection({
    codecs: { audio: [useOPUS()], video: [useVP8({ rtcpFeedback: [useNACK(), usePLI()] })] },
    headerExtensions: { audio: [useAudioLevelIndication()], video: [] },
    ...loopback,
    bundlePolicy: 'max-bundle',
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') useSrtpKeyObjects(pc);
  });
  const received = new Map<string, StreamReceipt>();
  const sent = { audio: 0, video: 0, keyFrames: 0, pliReceived: 0 };
  let videoSender: RTCRtpSender | undefined;
  let audioSender: RTCRtpSender | undefined;
  let audioLevelId: number | undefined;
  let keyFrameDue = true;
  let lastKeyFrameAt = -Infinity;
  const timers: NodeJS.Timeout[] = [];

  async function signal(offer: SessionDescription): Promise<SessionDescription> {
    await pc.setRemoteDescription(offer);
    tolerateDuplicateHelloVerify(pc);
    const ext = /a=extmap:(\d+)(?:\/\w+)? urn:ietf:params:rtp-hdrext:ssrc-audio-level/.exec(offer.sdp);
    audioLevelId = ext ? Number(ext[1]) : undefined;
    for (const kind of ['audio', 'video'] as const) {
      for (const mid of recvonlyMids(offer.sdp, kind)) {
        const transceiver = pc.getTransceivers().find((t) => t.mid === mid);
        if (!transceiver) continue;
        if (kind === 'video' && !videoSender) {
          transceiver.setDirection('sendonly');
          videoSender = transceiver.sender;
          transceiver.sender.onPictureLossIndication.subscribe(() => {
            sent.pliReceived++;
            keyFrameDue = true;
          });
        } else if (kind === 'audio' && !audioSender) {
          transceiver.setDirection('sendonly');
          audioSender = transceiver.sender;
        }
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    const local = pc.localDescription;
    if (!local) throw new Error('no local description');
    return { type: 'answer', sdp: local.sdp };
  }

  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      const payload = rtp.payload;
      const isVideo = track.kind === 'video';
      // Video: a 1-byte descriptor, plus the VP8 header byte on a frame's first packet.
      const first = payload[0] ?? 0;
      const startsFrame = isVideo && (first & 0x10) !== 0;
      const trailer = decodeTrailer(payload, isVideo ? (startsFrame ? 2 : 1) : 0);
      if (!trailer) return;
      const key = `${trailer.from}:${trailer.kind}`;
      let r = received.get(key);
      if (!r) {
        r = { packets: 0, seqGaps: 0, lastSeq: undefined, counterGaps: 0, lastCounter: undefined, keyFrames: 0, firstKeyFrameBeforeOthers: undefined, lastAt: 0, latencies: [] };
        received.set(key, r);
      }
      const now = clock();
      const keyFrame = startsFrame && ((payload[1] ?? 1) & 0x01) === 0;
      if (isVideo && r.firstKeyFrameBeforeOthers === undefined) r.firstKeyFrameBeforeOthers = keyFrame;
      if (keyFrame) r.keyFrames++;
      const seq = rtp.header.sequenceNumber;
      if (r.lastSeq !== undefined) {
        const delta = (seq - r.lastSeq + 0x10000) & 0xffff;
        if (delta > 1 && delta < 0x8000) r.seqGaps += delta - 1;
      }
      r.lastSeq = seq;
      if (r.lastCounter !== undefined && trailer.counter > r.lastCounter + 1) r.counterGaps += trailer.counter - r.lastCounter - 1;
      r.lastCounter = trailer.counter;
      r.packets++;
      r.lastAt = now;
      if (r.latencies.length < 100_000) r.latencies.push(now - trailer.at);
    });
  });

  function sendVideoFrame(): void {
    const sender = videoSender;
    if (!sender || pc.connectionState !== 'connected') return;
    const now = clock();
    if (now - lastKeyFrameAt >= keyFrameIntervalMs) keyFrameDue = true;
    const keyFrame = keyFrameDue;
    if (keyFrame) {
      keyFrameDue = false;
      lastKeyFrameAt = now;
      sent.keyFrames++;
    }
    const packets = keyFrame ? packetsPerFrame * 3 : packetsPerFrame;
    const frame = Math.round(now * 90) >>> 0;
    for (let i = 0; i < packets; i++) {
      sent.video++;
      const head = i === 0 ? Buffer.from([0x10, keyFrame ? 0x00 : 0x01]) : Buffer.from([0x00]);
      const trailer = encodeTrailer(id, 'video', sent.video, now);
      const filler = Buffer.alloc(Math.max(0, videoBytes - head.length - trailer.length), sent.video & 0xff);
      const header = new RtpHeader({ sequenceNumber: sent.video & 0xffff, timestamp: frame, payloadType: 96, marker: i === packets - 1 });
      void sender.sendRtp(new RtpPacket(header, Buffer.concat([head, trailer, filler]))).catch(() => undefined);
    }
  }

  function sendAudio(): void {
    const sender = audioSender;
    if (!sender || pc.connectionState !== 'connected') return;
    sent.audio++;
    const now = clock();
    const trailer = encodeTrailer(id, 'audio', sent.audio, now);
    const payload = Buffer.concat([trailer, Buffer.alloc(Math.max(0, 80 - trailer.length), 0x55)]);
    const level = Math.max(0, Math.min(127, Math.round(levelOf())));
    const extensions = audioLevelId === undefined ? [] : [{ id: audioLevelId, payload: Buffer.from([0x80 | level]) }];
    const header = new RtpHeader({ sequenceNumber: sent.audio & 0xffff, timestamp: (sent.audio * 960) >>> 0, payloadType: 111, extensions });
    void sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }

  if (fps > 0) timers.push(setInterval(sendVideoFrame, 1000 / fps));
  if (options.audio ?? true) timers.push(setInterval(sendAudio, 20));

  return {
    id,
    pc,
    signal,
    received,
    sent,
    receivingFrom(kind, withinMs = 500) {
      const since = clock() - withinMs;
      const from: string[] = [];
      for (const [key, r] of received) {
        const [publisher, k] = key.split(':');
        if (k === kind && publisher !== undefined && r.lastAt >= since) from.push(publisher);
      }
      return from.sort();
    },
    setAudioLevel(level) {
      audioLevel = level;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await pc.close();
    },
  };
}
