import { toBase64Url } from '@charla/protocol';
import { RoomSession, newRoomSecret, roomAccessKey, type CharlaClient } from '@charla/sdk';
import type { JoinFailure } from './room-app.tsx';
import type { RoomAddress } from './room-link.ts';

/** The room screens' only door to the SDK: joining, creating, and naming what went wrong. */
export async function joinRoom(room: RoomAddress, name: string, localStream: MediaStream | undefined): Promise<RoomSession> {
  return RoomSession.join({
    serverUrl: location.origin,
    roomId: room.roomId,
    secret: room.secret,
    name,
    ...(room.hostToken ? { hostToken: room.hostToken } : {}),
    ...(localStream ? { localStream } : {}),
  });
}

/**
 * Creates a room as the signed-in device ([ROOM-2]): a fresh secret stays here, the server gets
 * only the access key derived from it and answers the room id and the host token.
 */
export async function createRoomAsHost(client: CharlaClient): Promise<{ roomId: string; secret: string; hostToken: string }> {
  const secret = newRoomSecret();
  const created = await client.http.call('createRoom', { accessKey: toBase64Url(roomAccessKey(secret)) });
  return { roomId: created.roomId, secret: toBase64Url(secret), hostToken: created.hostToken };
}

export function classifyJoinError(error: unknown): JoinFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UNKNOWN_ROOM' || code === 'ROOM_KEY_MISMATCH') return 'notFound';
  if (code === 'ROOM_LOCKED') return 'locked';
  if (code === 'ROOM_FULL') return 'full';
  if (code === 'NETWORK') return 'network';
  if (code === 'E2EE_UNSUPPORTED') return 'unsupported';
  return 'other';
}
