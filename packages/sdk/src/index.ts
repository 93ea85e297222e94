export { CharlaClient, type ClientEvents, type OpenOptions } from './client.ts';
export { registerAccount, loginAccount, type RegisterOptions, type LoginOptions } from './account.ts';
export { MemoryStore, type LocalStore, type StoreWrite } from './store.ts';
export { IndexedDbStore } from './idb-store.ts';
export { HttpApi, type UploadProgress } from './http-api.ts';
export { Connection, type ConnectionState } from './connection.ts';
export type { Conversation, MessageRecord } from './conversations.ts';
export type { Profile } from './profile.ts';
export { SdkError, ApiError, NetworkError, NotFoundError, isApiError } from './errors.ts';
export { makeInviteLink, parseInviteLink, keyFingerprint, type ParsedInvite } from './invite.ts';
export { joinDeviceLink, parseLinkCode, formatLinkCode, linkUrl, HISTORY_PER_CHAT, type DeviceLinkSession, type LinkCode } from './device-link.ts';
export {
  RoomSession,
  type RoomState,
  type RoomRole,
  type RoomPeer,
  type RoomChatMessage,
  type RoomView,
  type RoomSessionEvents,
  type RoomJoinOptions,
  type Quality,
  type ReceiveStats,
  type SendStats,
} from './room/room-session.ts';
export { RoomError } from './room/room-socket.ts';
export { roomLink, parseRoomLink, newRoomSecret, roomAccessKey, type RoomLink } from '@charla/crypto';
export { callLinkFor, type StartedCall } from './room/call.ts';
export type { CallInfo } from './conversations.ts';
