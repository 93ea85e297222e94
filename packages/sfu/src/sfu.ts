import { randomInt } from 'node:crypto';
import {
  MediaStream,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  RTCPeerConnection,
  useAudioLevelIndication,
  useNACK,
  useOPUS,
  usePLI,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useVP8,
  type InterfaceAddresses,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import { selectFor, type Layer } from './selection.ts';
import { byLoudness, byRecentSpeech, newSpeakerState, recordAudioLevel, tickSpeaker, type SpeakerState } from './speakers.ts';
import type { JoinOptions, Kind, Participant, RoomStats, Sfu, SfuEvents, SfuLoad, Signal, View } from './types.ts';
import { useSrtpKeyObjects } from './srtp-keys.ts';
import { routeKeyFrameRequestsByMediaSsrc } from './rtcp-routing.ts';
import { isVp8KeyFrameStart } from './vp8.ts';

/**
 * An in-process selective forwarding unit for rooms.
 *
 * Each participant has one peer connection; the SFU is always the offerer, so renegotiation
 * (someone joins or leaves) never races with the client (no glare). RTP is forwarded
 * payload-untouched: the SFU never decodes or decrypts, which is what lets clients encrypt frames
 * end to end. werift rewrites only the RTP header (SSRC, payload type, sequence number and
 * timestamp offsets, header extensions).
 *
 * Bandwidth: every participant is subscribed to every other (one sendonly audio and video
 * transceiver each, stream id = publisher id), but a receiver is only *forwarded* the videos its
 * last-N selection picks and the audio of the few loudest ([selection.ts]). A stream that starts
 * being forwarded resumes on a key frame with continuous sequence numbers and timestamps.
 */

const kinds: readonly Kind[] = ['audio', 'video'];
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const CLOCK_RATE: Record<Kind, number> = { audio: 48_000, video: 90_000 };
/** Source key of a publisher's video without simulcast. */
const SINGLE = '';

export type { DisconnectReason, JoinOptions, Kind, Participant, RoomStats, SessionDescription, Sfu, SfuEvents, SfuLoad, Signal, View } from './types.ts';

export type SfuOptions = SfuEvents & {
  /** Extra host candidates. Loopback (`['127.0.0.1']`) is needed for same-host peers. */
  iceAdditionalHostAddresses?: string[];
  /** Interfaces to gather on; `{ udp4: '127.0.0.1' }` keeps media on loopback. */
  interfaceAddresses?: InterfaceAddresses;
  /** Minimum time between key-frame requests sent to one publisher's stream (default 1000 ms). */
  keyFrameRequestIntervalMs?: number;
  /** A newly selected video waiting this long for a key frame is forwarded anyway (default 3000 ms). */
  keyFrameWaitMs?: number;
  /** Default number of videos each receiver gets (default 9); a receiver's view may change it. */
  lastN?: number;
  /** How many of the loudest participants' audio each receiver gets (default 3). */
  audioTopK?: number;
  /** Speaker ranking period (default 200 ms). */
  speakerIntervalMs?: number;
  /** Minimum time between two onSpeakers calls for one room (default 500 ms). */
  speakersMinIntervalMs?: number;
  /** A renegotiation waits this long for more changes to ride on it (default 300 ms; the first offer never waits). */
  renegotiationBatchMs?: number;
  /** Renegotiations wait this long at most for a participant's first connection (default 15 s). */
  connectWaitMs?: number;
  /** An offer left without an answer is made again after this long (default 1000 ms). */
  renegotiationRetryMs?: number;
  /**
   * Offer to receive simulcast video (rids 'l' and 'h') from publishers, unless a join says
   * otherwise (default false). Chromium answers with both layers (test/simulcast-chromium.test.ts);
   * werift clients cannot send simulcast and their video is dropped when rids are offered, so the
   * server asks for it per participant, for clients that say they can (JoinOptions.simulcast).
   */
  simulcast?: boolean;
  now?: () => number;
};

/** The in-process participant also exposes its werift peer connection (tests, diagnostics). */
export type LocalParticipant = Participant & { readonly pc: RTCPeerConnection };

export type LocalSfu = Omit<Sfu, 'join'> & { join(roomId: string, participantId: string, signal: Signal, view?: View, options?: JoinOptions): LocalParticipant };

/** One (receiver, publisher, kind): the receiver's sending side for the publisher's stream. */
type Sub = {
  receiver: ParticipantState;
  publisher: ParticipantState;
  kind: Kind;
  transceiver: RTCRtpTransceiver;
  /** Selected by the receiver's last-N / audio top-K. */
  active: boolean;
  /** Video: the publisher source (simulcast rid, or SINGLE) wanted, and the one being forwarded. */
  target: string;
  current: string | undefined;
  waitingSince: number;
  /** The next forwarded packet must continue this sender's sequence numbers and timestamps. */
  resume: boolean;
  lastSentAt: number;
};

type ParticipantState = {
  id: string;
  room: RoomState;
  pc: RTCPeerConnection;
  /** Its video arrives as simulcast (rids 'l' and 'h'). */
  simulcast: boolean;
  signal: Signal;
  negotiation: Promise<void>;
  /** A round queued but not started yet: later changes ride on it. */
  queuedRound: Promise<void> | undefined;
  rounds: number;
  /** Incoming tracks: audio, and video by source key (rid or SINGLE). */
  audioTrack: MediaStreamTrack | undefined;
  videoSources: Map<string, MediaStreamTrack>;
  /** As a receiver, keyed `${publisherId}:${kind}`. */
  subscriptions: Map<string, Sub>;
  /** As a publisher: the subs forwarding its streams, by kind. */
  out: Record<Kind, Set<Sub>>;
  lastKeyFrameRequest: Map<string, number>;
  /** Video sources a key frame was asked for before their SSRC was known. */
  keyFrameWanted: Set<string>;
  keyFrameRequests: number;
  speaker: SpeakerState;
  view: Required<View>;
  unsubscribers: (() => void)[];
  closed: boolean;
};

type RoomState = {
  id: string;
  participants: Map<string, ParticipantState>;
  forwardedPackets: number;
  lastSpeakers: string;
  lastSpeakersAt: number;
};

/** The mids of a description's m-sections, in order. */
export function sectionMids(sdp: string): string[] {
  return sdp
    .split(/\r?\n(?=m=)/)
    .slice(1)
    .map((section) => /\r?\na=mid:(\S+)/.exec(section)?.[1] ?? '');
}

/**
 * With max-bundle every m-section rides on the first one's transport, but werift repeats the ICE
 * candidates in each: at 100 m-sections that is several KB per candidate address, and room offers
 * must fit the signalling limit. Keep them in the first m-section only (the others are bundled).
 */
export function trimBundledCandidates(sdp: string): string {
  const sections = sdp.split(/\r\n(?=m=)/);
  return sections
    .map((section, i) => (i <= 1 ? section : section.replace(/\r\na=(?:candidate:[^\r\n]*|end-of-candidates)(?=\r\n)/g, '')))
    .join('\r\n');
}

export function createSfu(options: SfuOptions = {}): LocalSfu {
  const rooms = new Map<string, RoomState>();
  const byId = new Map<string, ParticipantState>();
  const keyFrameIntervalMs = options.keyFrameRequestIntervalMs ?? 1000;
  const keyFrameWaitMs = options.keyFrameWaitMs ?? 3000;
  const now = options.now ?? Date.now;
  const defaultLastN = options.lastN ?? 9;
  const audioTopK = options.audioTopK ?? 3;
  const speakersMinIntervalMs = options.speakersMinIntervalMs ?? 500;
  const connectWaitMs = options.connectWaitMs ?? 15_000;
  const batchMs = options.renegotiationBatchMs ?? 300;
  const retryMs = options.renegotiationRetryMs ?? 1000;
  const simulcastDefault = options.simulcast ?? false;
  /** An SSRC that appears in no SDP, used only as the sender of the SFU's own feedback. */
  const feedbackSsrc = randomInt(1, 2 ** 31);
  let joinSeq = 0;

  const ticker = setInterval(tick, options.speakerIntervalMs ?? 200);
  ticker.unref();

  function newPeerConnection(simulcast: boolean): RTCPeerConnection {
    const videoExtensions = simulcast ? [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()] : [];
    const pc = new RTCPeerConnection({
      codecs: {
        audio: [useOPUS()],
        video: [useVP8({ rtcpFeedback: [useNACK(), usePLI()] })],
      },
      headerExtensions: { audio: [useAudioLevelIndication()], video: videoExtensions },
      iceAdditionalHostAddresses: options.iceAdditionalHostAddresses,
      iceInterfaceAddresses: options.interfaceAddresses,
      bundlePolicy: 'max-bundle',
    });
    routeKeyFrameRequestsByMediaSsrc(pc);
    return pc;
  }

  function reportError(p: ParticipantState, error: unknown): void {
    options.onNegotiationError?.(p.id, error);
  }

  /**
   * Serialised per participant: one offer/answer round at a time, always SFU-initiated. Changes
   * made while a round is queued ride on it (50 joins do not mean 49 rounds for the first
   * participant), and rounds after the first wait until the participant's connection is up:
   * werift loses ICE checks in progress when a new offer arrives mid-connection.
   *
   * A round whose offer got no answer (the signal failed or timed out, or brought back the answer
   * to another offer) leaves this side with an offer the client may well have applied. Nothing is
   * rolled back: werift builds the next offer from the last answered one plus what was added
   * since, in the same order, so it extends whatever the client last applied. That next offer is
   * made soon after (retryMs), not at the next join or leave: until then the participant would go
   * without the round's changes, or without any media if it was its first offer.
   */
  function renegotiate(p: ParticipantState): Promise<void> {
    if (p.queuedRound) return p.queuedRound;
    const first = p.rounds === 0;
    const n = ++p.rounds;
    // A failed round must not wedge the queue: the next round starts from whatever state is left.
    const round = p.negotiation.catch(() => undefined).then(async () => {
      if (!first) {
        await connectionSettled(p);
        // Let a burst of joins ride on one round: each offer is O(participants) to build and answer.
        if (batchMs > 0) await new Promise((resolve) => setTimeout(resolve, batchMs));
      }
      p.queuedRound = undefined;
      if (p.closed) return;
      const offer = await p.pc.createOffer();
      await p.pc.setLocalDescription(offer);
      const local = p.pc.localDescription;
      if (!local || p.closed) return;
      const answer = await p.signal({ type: 'offer', sdp: trimBundledCandidates(local.sdp) });
      if (p.closed) return;
      // JSEP: an answer has the offer's m-sections, in order. werift would take an offered one
      // missing from the answer as rejected and stop its transceiver for good (this participant
      // would never again get that publisher), and its next offer would reuse the place under a
      // new mid, which the client refuses ("the order of m-lines in subsequent offer doesn't match").
      if (sectionMids(answer.sdp).join(' ') !== sectionMids(local.sdp).join(' ')) {
        throw new Error('the answer does not answer this offer (its m-sections differ): not applied');
      }
      await p.pc.setRemoteDescription(answer);
    });
    p.queuedRound = round;
    p.negotiation = round;
    round.catch(() => {
      // A later round (queued meanwhile) makes a new offer anyway.
      if (p.closed || p.rounds !== n || p.pc.signalingState !== 'have-local-offer') return;
      setTimeout(() => {
        if (!p.closed && p.rounds === n) renegotiate(p).catch((error: unknown) => reportError(p, error));
      }, retryMs).unref();
    });
    return round;
  }

  function connectionSettled(p: ParticipantState): Promise<void> {
    const settled = (state: string) => state === 'connected' || state === 'failed' || state === 'closed';
    // No answer applied yet (the first offer went unanswered): no ICE checks to lose.
    if (p.closed || settled(p.pc.connectionState) || !p.pc.remoteDescription) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, connectWaitMs);
      const { unSubscribe } = p.pc.connectionStateChange.subscribe((state) => {
        if (settled(state)) done();
      });
      function done(): void {
        clearTimeout(timer);
        unSubscribe();
        resolve();
      }
    });
  }

  /**
   * werift does not relay receivers' PLI/FIR to the publisher, so the SFU asks itself, at most
   * once per interval per publisher stream. A request made before the stream's SSRC is known
   * stays pending and is sent with its first packet.
   */
  function requestKeyFrame(publisher: ParticipantState, source: string): void {
    if (publisher.closed) return;
    publisher.keyFrameWanted.add(source);
    sendKeyFrameRequest(publisher, source, publisher.videoSources.get(source)?.ssrc);
  }

  function sendKeyFrameRequest(publisher: ParticipantState, source: string, ssrc: number | undefined): void {
    if (ssrc === undefined || !publisher.keyFrameWanted.has(source)) return;
    const t = now();
    if (t - (publisher.lastKeyFrameRequest.get(source) ?? -Infinity) < keyFrameIntervalMs) return;
    const transceiver = publisher.pc.getTransceivers().find((x) => x.kind === 'video' && x.direction === 'recvonly');
    if (!transceiver) return;
    publisher.keyFrameWanted.delete(source);
    publisher.lastKeyFrameRequest.set(source, t);
    publisher.keyFrameRequests++;
    // Not receiver.sendRtcpPLI(): it stamps the PLI with an SSRC the SFU announced in its SDP, and
    // werift clients route feedback by sender SSRC before media SSRC, so they never saw it.
    const pli = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({ senderSsrc: feedbackSsrc, mediaSsrc: ssrc }),
    });
    void transceiver.receiver.dtlsTransport.sendRtcp([pli]).catch(() => undefined);
  }

  /** The publisher source that best matches a wanted layer: that rid, else the single stream, else any. */
  function sourceFor(publisher: ParticipantState, layer: Layer): string {
    const sources = publisher.videoSources;
    if (sources.has(layer)) return layer;
    if (sources.has(SINGLE)) return SINGLE;
    const first = sources.keys().next();
    return first.done ? (publisher.simulcast ? layer : SINGLE) : first.value;
  }

  function subscribe(subscriber: ParticipantState, publisher: ParticipantState): void {
    for (const kind of kinds) {
      const key = `${publisher.id}:${kind}`;
      if (subscriber.subscriptions.has(key)) continue;
      // The stream id carries the publisher's id so the client can tell who a track belongs to.
      const transceiver = subscriber.pc.addTransceiver(kind, {
        direction: 'sendonly',
        streams: [new MediaStream({ id: publisher.id })],
      });
      // Per packet, werift's sender-side bandwidth estimator files every packet sent (sorting the
      // keys of an object each time); without TWCC feedback nothing ever reads it.
      const bwe = (transceiver.sender as unknown as { senderBWE?: { rtpPacketSent?: unknown } }).senderBWE;
      if (bwe) bwe.rtpPacketSent = () => undefined;
      const sub: Sub = {
        receiver: subscriber,
        publisher,
        kind,
        transceiver,
        active: false,
        target: SINGLE,
        current: undefined,
        waitingSince: 0,
        resume: false,
        lastSentAt: 0,
      };
      const { unSubscribe } = transceiver.sender.onPictureLossIndication.subscribe(() => {
        if (sub.active && kind === 'video') requestKeyFrame(publisher, sub.current ?? sub.target);
      });
      // Until the receiver's transport is up, a key frame sent for it would be lost: ask again then.
      const ready = transceiver.sender.onReady.subscribe(() => {
        if (!sub.active || kind !== 'video') return;
        sub.waitingSince = now();
        requestKeyFrame(publisher, sub.target);
      });
      subscriber.unsubscribers.push(unSubscribe, ready.unSubscribe);
      subscriber.subscriptions.set(key, sub);
      publisher.out[kind].add(sub);
    }
  }

  function unsubscribe(subscriber: ParticipantState, publisher: ParticipantState): boolean {
    let removed = false;
    for (const kind of kinds) {
      const key = `${publisher.id}:${kind}`;
      const sub = subscriber.subscriptions.get(key);
      if (!sub) continue;
      subscriber.subscriptions.delete(key);
      publisher.out[kind].delete(sub);
      subscriber.pc.removeTrack(sub.transceiver.sender);
      removed = true;
    }
    return removed;
  }

  function setActive(sub: Sub, active: boolean, layer: Layer): void {
    if (sub.kind === 'video') {
      const target = sourceFor(sub.publisher, layer);
      if (active && (!sub.active || target !== sub.target)) {
        sub.target = target;
        sub.waitingSince = now();
        // Switching layers keeps forwarding the current one until the new one has a key frame.
        if (!sub.active) sub.current = undefined;
        requestKeyFrame(sub.publisher, target);
      }
    }
    if (!active && sub.active) {
      sub.current = undefined;
      sub.resume = true;
    }
    sub.active = active;
  }

  /** Re-evaluates every receiver's last-N and audio selection in a room. */
  function applySelections(room: RoomState): void {
    const ranked = [...room.participants.values()].map((p) => ({ id: p.id, speaker: p.speaker }));
    const recent = [...ranked].sort(byRecentSpeech).map((r) => r.id);
    const loudest = ranked.sort(byLoudness).map((r) => r.id);
    for (const receiver of room.participants.values()) {
      const selection = selectFor(receiver.id, receiver.view, recent, loudest, audioTopK);
      for (const sub of receiver.subscriptions.values()) {
        if (sub.kind === 'audio') setActive(sub, selection.audio.has(sub.publisher.id), 'h');
        else {
          const layer = selection.video.get(sub.publisher.id);
          setActive(sub, layer !== undefined, layer ?? 'h');
        }
      }
    }
  }

  function tick(): void {
    const t = now();
    for (const room of rooms.values()) {
      const speaking: { id: string; loudness: number }[] = [];
      for (const p of room.participants.values()) {
        if (tickSpeaker(p.speaker, t)) speaking.push({ id: p.id, loudness: p.speaker.smoothed });
      }
      applySelections(room);
      const ids = speaking.sort((a, b) => b.loudness - a.loudness).map((s) => s.id);
      const key = ids.join(',');
      if (key !== room.lastSpeakers && t - room.lastSpeakersAt >= speakersMinIntervalMs) {
        room.lastSpeakers = key;
        room.lastSpeakersAt = t;
        options.onSpeakers?.(room.id, ids);
      }
    }
  }

  function send(sub: Sub, rtp: RtpPacket, t: number): void {
    const sender = sub.transceiver.sender;
    if (sub.resume) {
      // Continue this sender's numbering where it stopped: no sequence gap for the receiver to
      // NACK, and a timestamp jump matching the pause.
      const step = Math.max(1, Math.round(((t - sub.lastSentAt) * CLOCK_RATE[sub.kind]) / 1000));
      sender.replaceRTP(rtp.header, false, step);
      sub.resume = false;
    }
    sub.lastSentAt = t;
    sub.receiver.room.forwardedPackets++;
    // sendRtp clones the packet and rewrites only header fields; the payload bytes pass as-is.
    void sender.sendRtp(rtp).catch(() => undefined);
  }

  function forwardAudio(publisher: ParticipantState, rtp: RtpPacket, level: number | undefined): void {
    if (level !== undefined) recordAudioLevel(publisher.speaker, level);
    const t = now();
    for (const sub of publisher.out.audio) if (sub.active) send(sub, rtp, t);
  }

  function forwardVideo(publisher: ParticipantState, source: string, rtp: RtpPacket): void {
    sendKeyFrameRequest(publisher, source, rtp.header.ssrc);
    const t = now();
    let keyFrame: boolean | undefined;
    for (const sub of publisher.out.video) {
      if (!sub.active) continue;
      if (source === sub.target && sub.current !== source) {
        if (sub.transceiver.sender.dtlsTransport?.state !== 'connected') continue;
        keyFrame ??= isVp8KeyFrameStart(rtp.payload);
        if (keyFrame || t - sub.waitingSince > keyFrameWaitMs) {
          if (sub.current !== undefined || sub.lastSentAt > 0) sub.resume = true;
          sub.current = source;
        } else {
          requestKeyFrame(publisher, source);
          continue;
        }
      }
      if (source === sub.current) send(sub, rtp, t);
    }
  }

  function onTrack(state: ParticipantState, kind: Kind, track: MediaStreamTrack): void {
    if (kind === 'audio') {
      state.audioTrack = track;
      const { unSubscribe } = track.onReceiveRtp.subscribe((packet, extensions) => {
        const level = (extensions?.[AUDIO_LEVEL_URI] as { level?: number } | undefined)?.level;
        forwardAudio(state, packet, level);
      });
      state.unsubscribers.push(unSubscribe);
      return;
    }
    const source = track.rid ?? SINGLE;
    state.videoSources.set(source, track);
    const { unSubscribe } = track.onReceiveRtp.subscribe((packet) => forwardVideo(state, source, packet));
    state.unsubscribers.push(unSubscribe);
    // Receivers that selected this publisher before the source existed now target it.
    applySelections(state.room);
  }

  function join(roomId: string, participantId: string, signal: Signal, view: View = {}, joinOptions: JoinOptions = {}): LocalParticipant {
    const simulcast = joinOptions.simulcast ?? simulcastDefault;
    if (byId.has(participantId)) throw new Error(`participant ${participantId} already joined`);
    let room = rooms.get(roomId);
    if (!room) {
      room = { id: roomId, participants: new Map(), forwardedPackets: 0, lastSpeakers: '', lastSpeakersAt: -Infinity };
      rooms.set(roomId, room);
    }
    const state: ParticipantState = {
      id: participantId,
      room,
      pc: newPeerConnection(simulcast),
      simulcast,
      signal,
      negotiation: Promise.resolve(),
      queuedRound: undefined,
      rounds: 0,
      audioTrack: undefined,
      videoSources: new Map(),
      subscriptions: new Map(),
      out: { audio: new Set(), video: new Set() },
      lastKeyFrameRequest: new Map(),
      keyFrameWanted: new Set(),
      keyFrameRequests: 0,
      speaker: newSpeakerState(joinSeq++),
      view: { lastN: view.lastN ?? defaultLastN, pinned: view.pinned ?? [], lowQuality: view.lowQuality ?? false },
      unsubscribers: [],
      closed: false,
    };
    for (const kind of kinds) {
      const offerRids = kind === 'video' && simulcast;
      const transceiver = state.pc.addTransceiver(kind, {
        direction: 'recvonly',
        // Low first: Chromium scales its default simulcast encodings so that the last rid is full size.
        ...(offerRids ? { simulcast: [{ rid: 'l', direction: 'recv' as const }, { rid: 'h', direction: 'recv' as const }] } : {}),
      });
      const { unSubscribe } = transceiver.onTrack.subscribe((track) => onTrack(state, kind, track));
      state.unsubscribers.push(unSubscribe);
    }
    const { unSubscribe } = state.pc.connectionStateChange.subscribe((connection) => {
      if (connection === 'connected') useSrtpKeyObjects(state.pc);
      if (connection !== 'failed' || state.closed) return;
      // leave() forgets the participant synchronously; report at once rather than after the
      // others' renegotiations it then waits for.
      void leave(participantId);
      options.onDisconnected?.(roomId, participantId, 'ice-failed');
    });
    state.unsubscribers.push(unSubscribe);

    const others = [...room.participants.values()];
    room.participants.set(participantId, state);
    byId.set(participantId, state);

    for (const other of others) subscribe(state, other);
    for (const other of others) subscribe(other, state);
    applySelections(room);
    renegotiate(state).catch((error: unknown) => reportError(state, error));
    for (const other of others) renegotiate(other).catch((error: unknown) => reportError(other, error));
    return { id: participantId, roomId, pc: state.pc, negotiated: () => state.negotiation };
  }

  async function leave(participantId: string): Promise<void> {
    const state = byId.get(participantId);
    if (!state) return;
    state.closed = true;
    byId.delete(participantId);
    const room = state.room;
    room.participants.delete(participantId);
    for (const unsubscribeFn of state.unsubscribers) unsubscribeFn();
    const pending: Promise<void>[] = [];
    for (const sub of state.subscriptions.values()) sub.publisher.out[sub.kind].delete(sub);
    for (const other of room.participants.values()) {
      if (unsubscribe(other, state)) pending.push(renegotiate(other).catch((error: unknown) => reportError(other, error)));
    }
    if (room.participants.size === 0) rooms.delete(room.id);
    else applySelections(room);
    await state.pc.close();
    await Promise.all(pending);
  }

  function setView(participantId: string, view: View): void {
    const p = byId.get(participantId);
    if (!p) return;
    p.view = {
      lastN: view.lastN ?? p.view.lastN,
      pinned: view.pinned ?? p.view.pinned,
      lowQuality: view.lowQuality ?? p.view.lowQuality,
    };
    applySelections(p.room);
  }

  function stats(roomId: string): RoomStats | undefined {
    const room = rooms.get(roomId);
    if (!room) return undefined;
    let keyFrameRequests = 0;
    for (const p of room.participants.values()) keyFrameRequests += p.keyFrameRequests;
    return { participants: [...room.participants.keys()], forwardedPackets: room.forwardedPackets, keyFrameRequests };
  }

  function load(): SfuLoad {
    let forwardedStreams = 0;
    for (const p of byId.values()) for (const sub of p.subscriptions.values()) if (sub.active) forwardedStreams++;
    return { rooms: rooms.size, participants: byId.size, forwardedStreams };
  }

  /** Closes every peer connection at once, without renegotiating with anyone. */
  async function close(): Promise<void> {
    clearInterval(ticker);
    const all = [...byId.values()];
    for (const p of all) {
      p.closed = true;
      for (const unsubscribeFn of p.unsubscribers) unsubscribeFn();
    }
    byId.clear();
    rooms.clear();
    await Promise.all(all.map((p) => p.pc.close()));
  }

  return { join, leave, setView, stats, load, close };
}
