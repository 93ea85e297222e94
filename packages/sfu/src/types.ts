/**
 * The SFU's contract with the server: the same `Sfu` type is implemented in-process
 * (`createSfu`, sfu.ts) and by a client of a separate `charla sfu` process (`connectSfu`,
 * remote.ts), so the server assigns rooms to either without knowing which.
 */

export type Kind = 'audio' | 'video';

/** The SFU's offer to one participant; the participant answers it (through signalling). */
export type SessionDescription = { type: 'offer' | 'answer'; sdp: string };
/** Delivers the SFU's offer to the participant and resolves with its answer. */
export type Signal = (offer: SessionDescription) => Promise<SessionDescription>;

/** What one receiver wants to see (RoomViewFrame in @charla/protocol rooms). Omitted fields keep their value. */
export type View = {
  /** At most this many videos, picked by recent speech (plus `pinned`). */
  lastN?: number;
  /** Publishers whose video this receiver always gets (at the high layer), whatever lastN says. */
  pinned?: string[];
  /** Prefer the low layer for every video not pinned (a grid of many tiles). */
  lowQuality?: boolean;
};

/** How a participant publishes (fixed for its connection). */
export type JoinOptions = {
  /** It can send simulcast video (browsers); the SFU then offers rids 'l' and 'h' (default: the SFU's option). */
  simulcast?: boolean;
};

export type SfuLoad = {
  rooms: number;
  participants: number;
  /** (receiver, publisher, kind) triples currently being forwarded, audio and video. */
  forwardedStreams: number;
};

export type RoomStats = { participants: string[]; forwardedPackets: number; keyFrameRequests: number };

/** Why a participant's media connection ended without `leave`. */
export type DisconnectReason = 'ice-failed' | 'sfu-lost';

export type SfuEvents = {
  /**
   * Who is speaking in a room, loudest first (from the RTP audio-level header extension, RFC 6464).
   * Called when the ranking changes, at most twice a second per room.
   */
  onSpeakers?: (roomId: string, participantIds: string[]) => void;
  /**
   * A participant's media connection is gone (its ICE failed, or the SFU process it was on
   * died). The SFU has already forgotten it; the server should report it as disconnected.
   */
  onDisconnected?: (roomId: string, participantId: string, reason: DisconnectReason) => void;
  /** A renegotiation failed (e.g. the client never answered); the participant stays joined. */
  onNegotiationError?: (participantId: string, error: unknown) => void;
};

export type Participant = {
  readonly id: string;
  readonly roomId: string;
  /** Resolves once the latest renegotiation has completed. */
  negotiated(): Promise<void>;
};

export type Sfu = {
  /** Adds a participant; the SFU offers through `signal` (now, and whenever the room changes). */
  join(roomId: string, participantId: string, signal: Signal, view?: View, options?: JoinOptions): Participant;
  leave(participantId: string): Promise<void>;
  /** Changes what one receiver gets (merged with its current view). Unknown ids are ignored. */
  setView(participantId: string, view: View): void;
  stats(roomId: string): RoomStats | undefined;
  load(): SfuLoad;
  close(): Promise<void>;
};
