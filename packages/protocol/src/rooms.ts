import { z } from 'zod';
import { Base64Url, RequestId } from './ids.ts';
import { ERROR_CODES } from './errors.ts';

/**
 * Rooms: group video calls joined from a link `https://server/r/<roomId>#<secret>` ([ROOM-*] in
 * docs/protocol/spec.md). The secret (32 random bytes, base64url, in the URL fragment) never
 * reaches the server. Everything the server sees is derived from it one-way:
 *
 *   accessKey  = HKDF-SHA256(secret, info "charla room access v1", 32)   sent on create and join
 *   nameKey    = HKDF-SHA256(secret, info "charla room names v1", 16)    seals display names
 *   identityKey= HKDF-SHA256(secret, info "charla room identity v1", 32) HMACs participants' public keys
 *   epoch 0    = HKDF-SHA256(secret, info "charla room epoch 0 v1", 32)  media/chat keys until a removal
 *
 * The server stores only SHA-256(accessKey), checks it on join, and relays opaque, sealed fields.
 * Media keys, names, chat and key rotations are end-to-end encrypted (see @charla/crypto rooms).
 */

/** [ROOM-1] Room ids: 16 random bytes in base64url (22 characters), chosen by the server. */
export const RoomId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'room id: 22 base64url characters');
/** Participant ids: 16 random bytes in base64url, chosen by the server per join. */
export const ParticipantId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'participant id: 22 base64url characters');
/** 32 bytes in base64url (43 characters). */
const Key32 = Base64Url.length(43);

/** The most participants (admitted, not in the lobby) in one room. */
export const MAX_ROOM_PARTICIPANTS = 100;
/** The most guests waiting in one room's lobby. */
export const MAX_ROOM_LOBBY = 50;

// ---------------------------------------------------------------------------------------------
// HTTP: POST /v1/rooms (auth: a device session) creates a room.
export const CreateRoomRequest = z.object({
  /** HKDF of the link secret (see above); the server keeps only its SHA-256. */
  accessKey: Key32,
  /** Start locked with a lobby: every guest knocks and the host admits them. Default false. */
  lobby: z.boolean().optional(),
});
export const CreateRoomResponse = z.object({
  roomId: RoomId,
  /** Whoever joins with this token is the host. 32 random bytes; the server keeps its SHA-256. */
  hostToken: Key32,
  /** Unix ms after which an empty room is forgotten. */
  expiresAt: z.number().int(),
});

// ---------------------------------------------------------------------------------------------
// WebSocket: GET /v1/rooms/ws, JSON text frames, one room per socket. No account needed.
// Requests may carry `id` (a client-chosen integer); the server answers them with `ok` or `err`
// carrying the same id. A frame other than `join` or `ping` before `joined` fails NOT_IN_ROOM.

/** A value sealed with a key only participants have (AES-GCM, base64url); opaque to the server. */
const Sealed = (maxChars: number) => Base64Url.min(1).max(maxChars);
/** A session description; the SFU always offers and the client always answers ([ROOM-6]). */
const Sdp = z.string().min(1).max(240_000);

export const MediaState = z.object({ audio: z.boolean(), video: z.boolean(), screen: z.boolean() });
export type MediaState = z.infer<typeof MediaState>;

export const RoomJoinFrame = z.object({
  t: z.literal('join'),
  id: RequestId.optional(),
  roomId: RoomId,
  accessKey: Key32,
  /** The display name sealed with nameKey (at most 64 characters before sealing). */
  name: Sealed(200),
  /** This join's ephemeral X25519 public key, for pairwise-sealed relays ([ROOM-9]). */
  pub: Key32,
  /** HMAC-SHA256(identityKey, pub): proves to the others that pub comes from someone with the link. */
  pubMac: Key32,
  /** Join as host (the token from CreateRoomResponse). */
  hostToken: Key32.optional(),
  /** Rejoin after a dropped connection as the same participant, keeping role and skipping the lobby. */
  resumeToken: Key32.optional(),
  media: MediaState.optional(),
  /** The client can send simulcast video (two layers, rids 'l' and 'h'); the SFU then offers it ([ROOM-6]). */
  simulcast: z.boolean().optional(),
});
/** Numbers the SFU's offers to one participant; an answer names the offer it answers ([ROOM-6]). */
const OfferId = z.number().int().min(1);
/**
 * The answer to the offer `offerId`. One whose offer is no longer waiting (superseded by a newer
 * offer, or past its time) is dropped, never taken for the answer to another offer ([ROOM-6]).
 */
export const RoomAnswerFrame = z.object({ t: z.literal('answer'), sdp: Sdp, offerId: OfferId.optional() });
/** Pass `data` (sealed pairwise, opaque) to one other participant, or to a lobby guest (host only). */
export const RoomRelayFrame = z.object({ t: z.literal('relay'), id: RequestId.optional(), to: ParticipantId, data: Sealed(8192) });
/** In-room chat: `data` is sealed with the current epoch's chat key; broadcast to all participants. */
export const RoomChatFrame = z.object({ t: z.literal('chat'), id: RequestId.optional(), data: Sealed(16_384) });
export const RoomStateFrame = z.object({ t: z.literal('state'), media: MediaState });
/** Which videos this receiver wants: at most `lastN` (by recent speech), always including `pinned`. */
export const RoomViewFrame = z.object({
  t: z.literal('view'),
  lastN: z.number().int().min(0).max(MAX_ROOM_PARTICIPANTS).optional(),
  pinned: z.array(ParticipantId).max(4).optional(),
  /** Prefer the low simulcast layer for everyone not pinned (grid of many). */
  lowQuality: z.boolean().optional(),
});
// Host only (else NOT_HOST):
/** `locked`: new guests are refused (ROOM_LOCKED). `lobby`: new guests knock and wait for the host. */
export const RoomLockFrame = z.object({ t: z.literal('lock'), id: RequestId.optional(), locked: z.boolean().optional(), lobby: z.boolean().optional() });
export const RoomAdmitFrame = z.object({ t: z.literal('admit'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomRefuseFrame = z.object({ t: z.literal('refuse'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomRemoveFrame = z.object({ t: z.literal('remove'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomAskMuteFrame = z.object({ t: z.literal('askMute'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomMakeHostFrame = z.object({ t: z.literal('makeHost'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomLeaveFrame = z.object({ t: z.literal('leave') });
export const RoomPingFrame = z.object({ t: z.literal('ping'), id: RequestId });

export const RoomClientFrame = z.discriminatedUnion('t', [
  RoomJoinFrame,
  RoomAnswerFrame,
  RoomRelayFrame,
  RoomChatFrame,
  RoomStateFrame,
  RoomViewFrame,
  RoomLockFrame,
  RoomAdmitFrame,
  RoomRefuseFrame,
  RoomRemoveFrame,
  RoomAskMuteFrame,
  RoomMakeHostFrame,
  RoomLeaveFrame,
  RoomPingFrame,
]);
export type RoomClientFrame = z.infer<typeof RoomClientFrame>;

export const RoomRole = z.enum(['host', 'guest']);
export const Participant = z.object({
  participantId: ParticipantId,
  name: Sealed(200),
  pub: Key32,
  pubMac: Key32,
  role: RoomRole,
  media: MediaState,
});
export type Participant = z.infer<typeof Participant>;

export const RoomJoinedFrame = z.object({
  t: z.literal('joined'),
  id: RequestId.optional(),
  participantId: ParticipantId,
  resumeToken: Key32,
  role: RoomRole,
  locked: z.boolean(),
  lobbyEnabled: z.boolean(),
  /** Everyone else in the room, admitted. */
  participants: z.array(Participant).max(MAX_ROOM_PARTICIPANTS),
  /** Host only: who is waiting in the lobby. */
  lobby: z.array(Participant).max(MAX_ROOM_LOBBY),
});
/** The room is locked: this join waits in the lobby until the host admits (joined) or refuses. */
export const RoomLobbyFrame = z.object({ t: z.literal('lobby'), id: RequestId.optional(), participantId: ParticipantId });
export const RoomRefusedFrame = z.object({ t: z.literal('refused') });
/** To the host(s): a guest knocked. */
export const RoomKnockFrame = z.object({ t: z.literal('knock'), participant: Participant });
/** To the host: a lobby guest left or was admitted/refused (by this or another host action). */
export const RoomLobbyLeftFrame = z.object({ t: z.literal('lobbyLeft'), participantId: ParticipantId });
export const RoomParticipantJoinedFrame = z.object({ t: z.literal('participantJoined'), participant: Participant });
export const RoomParticipantLeftFrame = z.object({
  t: z.literal('participantLeft'),
  participantId: ParticipantId,
  reason: z.enum(['left', 'removed', 'disconnected']),
});
export const RoomParticipantUpdatedFrame = z.object({ t: z.literal('participantUpdated'), participantId: ParticipantId, media: MediaState });
export const RoomHostChangedFrame = z.object({ t: z.literal('hostChanged'), participantId: ParticipantId });
export const RoomLockedFrame = z.object({ t: z.literal('locked'), locked: z.boolean(), lobby: z.boolean() });
/** To the removed participant, just before the server closes its socket. */
export const RoomRemovedFrame = z.object({ t: z.literal('removed') });
export const RoomMuteRequestedFrame = z.object({ t: z.literal('muteRequested'), by: ParticipantId });
export const RoomRelayedFrame = z.object({ t: z.literal('relay'), from: ParticipantId, data: Sealed(8192) });
export const RoomChatEventFrame = z.object({ t: z.literal('chat'), from: ParticipantId, data: Sealed(16_384), ts: z.number().int() });
/**
 * The SFU's offer (initial or renegotiation); answer with `answer`. `session` numbers this
 * participant's SFU connections: an offer with a new `session` comes from a new SFU peer connection
 * (after a resume, a lost media connection or an SFU restart) and is answered from a new
 * RTCPeerConnection; offers with the same `session` renegotiate the current one ([ROOM-6]).
 * `offerId` goes back in the answer. A newer offer supersedes one not answered yet: only the
 * latest offer needs an answer.
 */
export const RoomOfferFrame = z.object({ t: z.literal('offer'), sdp: Sdp, session: z.number().int().min(1).optional(), offerId: OfferId.optional() });
/** Who is speaking now, loudest first, from the RTP audio-level header extension. */
export const RoomSpeakersFrame = z.object({ t: z.literal('speakers'), participantIds: z.array(ParticipantId).max(MAX_ROOM_PARTICIPANTS) });
export const RoomOkFrame = z.object({ t: z.literal('ok'), id: RequestId }).catchall(z.unknown());
export const RoomErrFrame = z.object({
  t: z.literal('err'),
  id: RequestId.optional(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
  retryAfterMs: z.number().int().optional(),
});

export const RoomServerFrame = z.discriminatedUnion('t', [
  RoomJoinedFrame,
  RoomLobbyFrame,
  RoomRefusedFrame,
  RoomKnockFrame,
  RoomLobbyLeftFrame,
  RoomParticipantJoinedFrame,
  RoomParticipantLeftFrame,
  RoomParticipantUpdatedFrame,
  RoomHostChangedFrame,
  RoomLockedFrame,
  RoomRemovedFrame,
  RoomMuteRequestedFrame,
  RoomRelayedFrame,
  RoomChatEventFrame,
  RoomOfferFrame,
  RoomSpeakersFrame,
  RoomOkFrame,
  RoomErrFrame,
]);
export type RoomServerFrame = z.infer<typeof RoomServerFrame>;
