import { randomInt } from 'node:crypto';
import {
  MediaStream,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  RTCPeerConnection,
  useNACK,
  useOPUS,
  usePLI,
  useVP8,
  type InterfaceAddresses,
  type MediaStreamTrack,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import type { Kind, Participant, RoomStats, Sfu, SfuEvents, SfuLoad, Signal, View } from './types.ts';

/**
 * An in-process selective forwarding unit for rooms.
 *
 * Each participant has one peer connection; the SFU is always the offerer, so renegotiation
 * (someone joins or leaves) never races with the client (no glare). RTP is forwarded
 * payload-untouched: the SFU never decodes or decrypts, which is what lets clients encrypt frames
 * end to end. werift rewrites only the RTP header (SSRC, payload type, header extensions).
 */

const kinds: readonly Kind[] = ['audio', 'video'];

export type { DisconnectReason, Kind, Participant, RoomStats, SessionDescription, Sfu, SfuEvents, SfuLoad, Signal, View } from './types.ts';

export type SfuOptions = SfuEvents & {
  /** Extra host candidates. Loopback (`['127.0.0.1']`) is needed for same-host peers. */
  iceAdditionalHostAddresses?: string[];
  /** Interfaces to gather on; `{ udp4: '127.0.0.1' }` keeps media on loopback. */
  interfaceAddresses?: InterfaceAddresses;
  /** Minimum time between key-frame requests sent to one publisher (default 1000 ms). */
  keyFrameRequestIntervalMs?: number;
  /** Default number of videos each receiver gets (default 9); a receiver's view may change it. */
  lastN?: number;
  now?: () => number;
};

/** The in-process participant also exposes its werift peer connection (tests, diagnostics). */
export type LocalParticipant = Participant & { readonly pc: RTCPeerConnection };

export type LocalSfu = Sfu & { join(roomId: string, participantId: string, signal: Signal, view?: View): LocalParticipant };

type Subscription = { sender: RTCRtpSender; transceiver: RTCRtpTransceiver };

type ParticipantState = {
  id: string;
  roomId: string;
  pc: RTCPeerConnection;
  signal: Signal;
  negotiation: Promise<void>;
  /** Incoming tracks by kind (set once the client's first answer arrives). */
  tracks: Map<Kind, MediaStreamTrack>;
  /** Key: `${publisherId}:${kind}` → this participant's sending side for that stream. */
  subscriptions: Map<string, Subscription>;
  lastKeyFrameRequest: number;
  keyFrameWanted: boolean;
  keyFrameRequests: number;
  unsubscribers: (() => void)[];
  view: Required<View>;
  closed: boolean;
};

type RoomState = { id: string; participants: Map<string, ParticipantState>; forwardedPackets: number };

export function createSfu(options: SfuOptions = {}): LocalSfu {
  const rooms = new Map<string, RoomState>();
  const byId = new Map<string, ParticipantState>();
  const keyFrameIntervalMs = options.keyFrameRequestIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const defaultLastN = options.lastN ?? 9;
  /** An SSRC that appears in no SDP, used only as the sender of the SFU's own feedback. */
  const feedbackSsrc = randomInt(1, 2 ** 31);

  function newPeerConnection(): RTCPeerConnection {
    return new RTCPeerConnection({
      codecs: {
        audio: [useOPUS()],
        video: [useVP8({ rtcpFeedback: [useNACK(), usePLI()] })],
      },
      iceAdditionalHostAddresses: options.iceAdditionalHostAddresses,
      iceInterfaceAddresses: options.interfaceAddresses,
      bundlePolicy: 'max-bundle',
    });
  }

  function reportError(p: ParticipantState, error: unknown): void {
    options.onNegotiationError?.(p.id, error);
  }

  /** Serialised per participant: one offer/answer round at a time, always SFU-initiated. */
  function renegotiate(p: ParticipantState): Promise<void> {
    // A failed round must not wedge the queue: the next round starts from whatever state is left.
    p.negotiation = p.negotiation.catch(() => undefined).then(async () => {
      if (p.closed) return;
      const offer = await p.pc.createOffer();
      await p.pc.setLocalDescription(offer);
      const local = p.pc.localDescription;
      if (!local || p.closed) return;
      const answer = await p.signal({ type: 'offer', sdp: local.sdp });
      if (p.closed) return;
      await p.pc.setRemoteDescription(answer);
    });
    return p.negotiation;
  }

  /**
   * werift does not relay receivers' PLI/FIR to the publisher, so the SFU asks itself, at most
   * once per interval per publisher. A request made before the publisher's SSRC is known stays
   * pending and is sent with its first packet.
   */
  function requestKeyFrame(publisher: ParticipantState, kind: Kind): void {
    if (kind !== 'video' || publisher.closed) return;
    publisher.keyFrameWanted = true;
    sendKeyFrameRequest(publisher, publisher.tracks.get(kind)?.ssrc);
  }

  function sendKeyFrameRequest(publisher: ParticipantState, ssrc: number | undefined): void {
    if (!publisher.keyFrameWanted || ssrc === undefined) return;
    if (now() - publisher.lastKeyFrameRequest < keyFrameIntervalMs) return;
    const transceiver = publisher.pc.getTransceivers().find((t) => t.kind === 'video' && t.direction === 'recvonly');
    if (!transceiver) return;
    publisher.keyFrameWanted = false;
    publisher.lastKeyFrameRequest = now();
    publisher.keyFrameRequests++;
    // Not receiver.sendRtcpPLI(): it stamps the PLI with an SSRC the SFU announced in its SDP, and
    // werift clients route feedback by sender SSRC before media SSRC, so they never saw it.
    const pli = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({ senderSsrc: feedbackSsrc, mediaSsrc: ssrc }),
    });
    void transceiver.receiver.dtlsTransport.sendRtcp([pli]).catch(() => undefined);
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
      const sender = transceiver.sender;
      const { unSubscribe } = sender.onPictureLossIndication.subscribe(() => requestKeyFrame(publisher, kind));
      subscriber.unsubscribers.push(unSubscribe);
      subscriber.subscriptions.set(key, { sender, transceiver });
    }
  }

  function forward(room: RoomState, publisher: ParticipantState, kind: Kind, rtp: RtpPacket): void {
    if (kind === 'video') sendKeyFrameRequest(publisher, rtp.header.ssrc);
    for (const other of room.participants.values()) {
      if (other === publisher || other.closed) continue;
      const sub = other.subscriptions.get(`${publisher.id}:${kind}`);
      if (!sub) continue;
      room.forwardedPackets++;
      // sendRtp clones the packet and rewrites only header fields; the payload bytes pass as-is.
      void sub.sender.sendRtp(rtp).catch(() => undefined);
    }
  }

  function join(roomId: string, participantId: string, signal: Signal, view: View = {}): LocalParticipant {
    if (byId.has(participantId)) throw new Error(`participant ${participantId} already joined`);
    let room = rooms.get(roomId);
    if (!room) {
      room = { id: roomId, participants: new Map(), forwardedPackets: 0 };
      rooms.set(roomId, room);
    }
    const state: ParticipantState = {
      id: participantId,
      roomId,
      pc: newPeerConnection(),
      signal,
      negotiation: Promise.resolve(),
      tracks: new Map(),
      subscriptions: new Map(),
      lastKeyFrameRequest: -Infinity,
      keyFrameWanted: false,
      keyFrameRequests: 0,
      unsubscribers: [],
      view: { lastN: view.lastN ?? defaultLastN, pinned: view.pinned ?? [], lowQuality: view.lowQuality ?? false },
      closed: false,
    };
    const joinedRoom = room;
    for (const kind of kinds) {
      const transceiver = state.pc.addTransceiver(kind, { direction: 'recvonly' });
      const { unSubscribe } = transceiver.onTrack.subscribe((track) => {
        state.tracks.set(kind, track);
        const rtp = track.onReceiveRtp.subscribe((packet) => forward(joinedRoom, state, kind, packet));
        state.unsubscribers.push(rtp.unSubscribe);
        // Subscribers that joined before this track existed still need a first key frame.
        requestKeyFrame(state, kind);
      });
      state.unsubscribers.push(unSubscribe);
    }
    const others = [...room.participants.values()];
    room.participants.set(participantId, state);
    byId.set(participantId, state);

    for (const other of others) subscribe(state, other);
    renegotiate(state).then(
      () => others.forEach((other) => requestKeyFrame(other, 'video')),
      (error: unknown) => reportError(state, error),
    );
    for (const other of others) {
      subscribe(other, state);
      renegotiate(other).catch((error: unknown) => reportError(other, error));
    }
    return { id: participantId, roomId, pc: state.pc, negotiated: () => state.negotiation };
  }

  async function leave(participantId: string): Promise<void> {
    const state = byId.get(participantId);
    if (!state) return;
    state.closed = true;
    byId.delete(participantId);
    const room = rooms.get(state.roomId);
    room?.participants.delete(participantId);
    for (const unsubscribe of state.unsubscribers) unsubscribe();
    const pending: Promise<void>[] = [];
    for (const other of room?.participants.values() ?? []) {
      let removed = false;
      for (const kind of kinds) {
        const key = `${participantId}:${kind}`;
        const sub = other.subscriptions.get(key);
        if (!sub) continue;
        other.subscriptions.delete(key);
        other.pc.removeTrack(sub.sender);
        removed = true;
      }
      if (removed) pending.push(renegotiate(other).catch((error: unknown) => reportError(other, error)));
    }
    if (room && room.participants.size === 0) rooms.delete(room.id);
    await state.pc.close();
    await Promise.all(pending);
  }

  function stats(roomId: string): RoomStats | undefined {
    const room = rooms.get(roomId);
    if (!room) return undefined;
    let keyFrameRequests = 0;
    for (const p of room.participants.values()) keyFrameRequests += p.keyFrameRequests;
    return { participants: [...room.participants.keys()], forwardedPackets: room.forwardedPackets, keyFrameRequests };
  }

  /** Closes every peer connection at once, without renegotiating with anyone. */
  async function close(): Promise<void> {
    const all = [...byId.values()];
    for (const p of all) {
      p.closed = true;
      for (const unsubscribe of p.unsubscribers) unsubscribe();
    }
    byId.clear();
    rooms.clear();
    await Promise.all(all.map((p) => p.pc.close()));
  }

  // Stored only: forwarding does not consult the view yet (last-N and layers come next).
  function setView(participantId: string, view: View): void {
    const p = byId.get(participantId);
    if (!p) return;
    p.view = {
      lastN: view.lastN ?? p.view.lastN,
      pinned: view.pinned ?? p.view.pinned,
      lowQuality: view.lowQuality ?? p.view.lowQuality,
    };
  }

  function load(): SfuLoad {
    let forwardedStreams = 0;
    for (const p of byId.values()) forwardedStreams += p.subscriptions.size;
    return { rooms: rooms.size, participants: byId.size, forwardedStreams };
  }

  return { join, leave, setView, stats, load, close };
}
