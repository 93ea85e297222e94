import type { TransformOptions } from './frame-worker-api.ts';

export type Kind = 'audio' | 'video';
export type Quality = 'good' | 'fair' | 'poor';
export type SendStats = { framesEncoded: number; keyFramesEncoded: number; pliCount: number; firCount: number; packetsSent: number };

/**
 * Per participant, summed over its received tracks. Audio: `totalSamplesReceived` includes
 * concealment (made-up samples while packets are missing), so decoded audio is the difference.
 */
export type ReceiveStats = {
  framesDecoded: number;
  keyFramesDecoded: number;
  totalSamplesReceived: number;
  concealedSamples: number;
  packetsReceived: number;
  pliCount: number;
};

type Handlers = {
  /** A track the SFU forwards from `participantId` (the stream id of a forwarded track). */
  onRemoteTrack: (participantId: string, track: MediaStreamTrack) => void;
  /** ICE failed or stayed disconnected: the session reconnects. */
  onFailed: () => void;
};

const GATHER_TIMEOUT_MS = 5000;
/** ICE `disconnected` often heals by itself (consent checks lost under load): wait before rebuilding. */
const DISCONNECTED_GRACE_MS = 10_000;

/** The mids of an offer's m-sections the SFU receives on (recvonly from its side), by kind. */
function sfuReceiveMids(sdp: string): Map<string, Kind> {
  const out = new Map<string, Kind>();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const kind = section.startsWith('audio') ? 'audio' : section.startsWith('video') ? 'video' : undefined;
    const mid = /\r?\na=mid:(\S+)/.exec(section)?.[1];
    if (kind && mid !== undefined && /\r?\na=recvonly/.test(section)) out.set(mid, kind);
  }
  return out;
}

/**
 * One peer connection to the SFU. The SFU always offers ([ROOM-6]); this side answers, puts the
 * local tracks on the m-sections the SFU receives on, and puts the frame worker's encrypting
 * transform on every sender and its decrypting transform on every receiver, before any media flows.
 */
export class MediaLink {
  readonly pc: RTCPeerConnection;
  readonly #worker: Worker;
  readonly #handlers: Handlers;
  readonly #tracks: Record<Kind, MediaStreamTrack | null> = { audio: null, video: null };
  readonly #transformed = new WeakSet<RTCRtpSender | RTCRtpReceiver>();
  /** This side's senders, created by addTrack before the first offer (see #prepareSenders). */
  readonly #senders = new Map<Kind, RTCRtpSender>();
  /** Which participant each received track belongs to. */
  readonly #remote = new Map<MediaStreamTrack, string>();
  /** The SFU connection this link answers (the `session` of its offers), once it answered one. */
  session: number | undefined;
  #disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Chromium: encoded streams handed to the worker (see #prepareSenders for why). */
  readonly #legacy = insertableStreamsSupported();

  /** Senders are the offer's own transceivers (Chromium): the SFU's simulcast offer is taken up, every layer encrypted. */
  get simulcast(): boolean {
    return this.#legacy;
  }

  constructor(worker: Worker, handlers: Handlers) {
    this.#worker = worker;
    this.#handlers = handlers;
    // With encodedInsertableStreams every sender and receiver must get its streams piped through
    // the worker, or its media stalls: never a plaintext path.
    const config: RTCConfiguration & { encodedInsertableStreams?: boolean } = { bundlePolicy: 'max-bundle', ...(this.#legacy ? { encodedInsertableStreams: true } : {}) };
    this.pc = new RTCPeerConnection(config);
    this.pc.addEventListener('track', (event) => {
      const participantId = event.streams[0]?.id;
      if (!participantId) return;
      this.#transform(event.receiver, { side: 'recv', kind: event.track.kind as Kind, participantId });
      this.#remote.set(event.track, participantId);
      this.#handlers.onRemoteTrack(participantId, event.track);
    });
    this.pc.addEventListener('connectionstatechange', () => this.#watchConnection());
  }

  /** Sets what this side sends for `kind` (null: nothing); applies to the next offers too. */
  async setTrack(kind: Kind, track: MediaStreamTrack | null): Promise<void> {
    this.#tracks[kind] = track;
    const sender = this.#senders.get(kind);
    if (sender && sender.track !== track) await sender.replaceTrack(track);
  }

  /**
   * Chromium 156 applies an RTCRtpScriptTransform to a video sender only when it is set on a
   * sender created by addTrack before negotiation; on a transceiver created by the remote offer it
   * is silently ignored and video leaves in the clear (checked by hand; rooms-media.test.ts fails if
   * any plaintext frame arrives). But only offer-created transceivers take up the SFU's simulcast
   * offer. So where createEncodedStreams exists (Chromium) the senders are the offer's own
   * transceivers with encoded streams piped through the worker (this works for video too), and
   * elsewhere (Firefox, Safari: RTCRtpScriptTransform only) they are created by addTrack here,
   * before the first offer: JSEP pairs them with the offer's first audio and video m-sections, the
   * ones the SFU receives on. Without a camera or microphone, a placeholder track makes the sender
   * and is swapped for nothing at once.
   */
  #prepareSenders(): void {
    if (this.#legacy || this.#senders.size > 0) return;
    for (const kind of ['audio', 'video'] as const) {
      const track = this.#tracks[kind] ?? placeholderTrack(kind);
      const sender = this.pc.addTrack(track);
      this.#transform(sender, { side: 'send', kind });
      this.#senders.set(kind, sender);
      if (!this.#tracks[kind]) {
        void sender.replaceTrack(null);
        track.stop();
      }
    }
  }

  /** Answers one SFU offer; resolves with the answer once ICE gathering is complete (no trickle). */
  async answer(offerSdp: string): Promise<string> {
    this.#prepareSenders();
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const receiveMids = sfuReceiveMids(offerSdp);
    if (this.#legacy) {
      for (const t of this.pc.getTransceivers()) {
        const kind = t.mid === null ? undefined : receiveMids.get(t.mid);
        if (!kind || this.#senders.has(kind)) continue;
        t.direction = 'sendonly';
        this.#transform(t.sender, { side: 'send', kind });
        this.#senders.set(kind, t.sender);
        await t.sender.replaceTrack(this.#tracks[kind]);
      }
    }
    const ours = new Set(this.#senders.values());
    for (const t of this.pc.getTransceivers()) {
      const kind = t.mid === null ? undefined : receiveMids.get(t.mid);
      if (!kind) continue;
      // Only our own (transformed) senders may send; anything else the offer paired stays silent.
      t.direction = ours.has(t.sender) ? 'sendonly' : 'inactive';
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await this.#gathered();
    const local = this.pc.localDescription;
    if (!local) throw new Error('no local description');
    return local.sdp;
  }

  /** Connection quality from the receiving side's loss and jitter and the path's round-trip time. */
  async quality(): Promise<Quality> {
    const report = await this.pc.getStats();
    let lost = 0;
    let received = 0;
    let jitter = 0;
    let rtt = 0;
    report.forEach((s: Record<string, unknown>) => {
      if (s['type'] === 'inbound-rtp') {
        lost += Math.max(0, Number(s['packetsLost'] ?? 0));
        received += Number(s['packetsReceived'] ?? 0);
        jitter = Math.max(jitter, Number(s['jitter'] ?? 0));
      } else if (s['type'] === 'candidate-pair' && s['nominated'] === true && s['state'] === 'succeeded') {
        rtt = Math.max(rtt, Number(s['currentRoundTripTime'] ?? 0));
      }
    });
    const loss = received + lost > 0 ? lost / (received + lost) : 0;
    if (this.pc.connectionState !== 'connected' || loss > 0.08 || rtt > 0.6 || jitter > 0.1) return 'poor';
    if (loss > 0.02 || rtt > 0.25 || jitter > 0.03) return 'fair';
    return 'good';
  }

  /** What was received and decoded from each participant (for tests and a stats overlay). */
  async receiveStats(): Promise<Record<string, ReceiveStats>> {
    const out: Record<string, ReceiveStats> = {};
    const report = await this.pc.getStats();
    const byTrackId = new Map([...this.#remote].map(([track, pid]) => [track.id, pid]));
    report.forEach((s: Record<string, unknown>) => {
      if (s['type'] !== 'inbound-rtp') return;
      const pid = byTrackId.get(String(s['trackIdentifier'] ?? ''));
      if (!pid) return;
      const entry = (out[pid] ??= { framesDecoded: 0, keyFramesDecoded: 0, totalSamplesReceived: 0, concealedSamples: 0, packetsReceived: 0, pliCount: 0 });
      for (const field of Object.keys(entry) as (keyof ReceiveStats)[]) entry[field] += Number(s[field] ?? 0);
    });
    return out;
  }

  /** What this side sent: frames encoded, key frames, and the key-frame requests (PLI/FIR) it got. */
  async sendStats(): Promise<SendStats> {
    const out: SendStats = { framesEncoded: 0, keyFramesEncoded: 0, pliCount: 0, firCount: 0, packetsSent: 0 };
    const report = await this.pc.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s['type'] !== 'outbound-rtp') return;
      for (const field of Object.keys(out) as (keyof SendStats)[]) out[field] += Number(s[field] ?? 0);
    });
    return out;
  }

  close(): void {
    this.#closed = true;
    if (this.#disconnectedTimer) clearTimeout(this.#disconnectedTimer);
    this.pc.close();
  }

  #transform(target: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.#transformed.has(target)) return;
    this.#transformed.add(target);
    if (this.#legacy) {
      const { readable, writable } = (target as unknown as EncodedStreamsTarget).createEncodedStreams();
      this.#worker.postMessage({ t: 'streams', readable, writable, options }, [readable, writable]);
      return;
    }
    target.transform = new RTCRtpScriptTransform(this.#worker, options);
  }

  #watchConnection(): void {
    if (this.#closed) return;
    const state = this.pc.connectionState;
    if (this.#disconnectedTimer && state !== 'disconnected') {
      clearTimeout(this.#disconnectedTimer);
      this.#disconnectedTimer = undefined;
    }
    if (state === 'failed') this.#handlers.onFailed();
    else if (state === 'disconnected' && !this.#disconnectedTimer) {
      this.#disconnectedTimer = setTimeout(() => {
        this.#disconnectedTimer = undefined;
        if (!this.#closed && this.pc.connectionState !== 'connected') this.#handlers.onFailed();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  #gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      const check = (): void => {
        if (this.pc.iceGatheringState === 'complete') done();
      };
      const timer = setTimeout(done, GATHER_TIMEOUT_MS);
      this.pc.addEventListener('icegatheringstatechange', check);
    });
  }
}

type EncodedStreamsTarget = { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } };

function insertableStreamsSupported(): boolean {
  return typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype;
}

/** A track that exists only to create a sender: silence, or a still 2x2 canvas. */
function placeholderTrack(kind: Kind): MediaStreamTrack {
  if (kind === 'audio') {
    const context = new AudioContext();
    const track = context.createMediaStreamDestination().stream.getAudioTracks()[0]!;
    void context.close();
    return track;
  }
  const canvas = document.createElement('canvas');
  canvas.width = 2;
  canvas.height = 2;
  return canvas.captureStream(0).getVideoTracks()[0]!;
}

/** Whether this browser can encrypt frames end to end (RTCRtpScriptTransform). */
export function e2eeSupported(): boolean {
  return typeof globalThis.RTCRtpScriptTransform === 'function' && typeof globalThis.RTCPeerConnection === 'function';
}
