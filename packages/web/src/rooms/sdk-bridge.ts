import type { CharlaClient } from '@charla/sdk';
import type { RoomSessionLike } from './room-api.ts';
import type { JoinFailure } from './room-app.tsx';
import type { RoomAddress } from './room-link.ts';

/** PENDING: wired to the SDK's RoomSession once it lands (packages/sdk/src/room). */
export async function joinRoom(_room: RoomAddress, _name: string, _localStream: MediaStream | undefined): Promise<RoomSessionLike> {
  throw new Error('rooms are not available yet');
}

export async function createRoomAsHost(_client: CharlaClient): Promise<{ roomId: string; secret: string; hostToken: string }> {
  throw new Error('rooms are not available yet');
}

export function classifyJoinError(error: unknown): JoinFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UNKNOWN_ROOM' || code === 'ROOM_KEY_MISMATCH') return 'notFound';
  if (code === 'ROOM_LOCKED') return 'locked';
  if (code === 'ROOM_FULL') return 'full';
  if (code === 'NETWORK') return 'network';
  return 'other';
}
