/**
 * The SDK's room types as the room screens use them (type-only: nothing here reaches the bundle).
 * The screens were first written against a local copy of this contract; they now take the SDK's.
 */
import type { RoomPeer } from '@charla/sdk';

export type { RoomSession, RoomState, RoomRole, RoomPeer, RoomChatMessage, RoomView, RoomSessionEvents as RoomEvents, Quality } from '@charla/sdk';
export type RoomMedia = RoomPeer['media'];
