import { z } from 'zod';
import { DeviceId, GroupId, MessageId, RequestId, UserId } from './ids.ts';
import { ERROR_CODES } from './errors.ts';

/**
 * WebSocket frames on `GET /v1/ws`. A frame is a header (a JSON object validated by the schemas
 * below) and an optional body of raw bytes (an MLS message), so that ciphertext travels without
 * base64. See frame-codec.ts for the byte layout ([WS-2]).
 *
 * Requests carry `id`, a client-chosen integer; the server answers each with `ok` or `err` carrying
 * the same id ([WS-3]). Frames without id are not answered unless they fail.
 */
export const AuthFrame = z.object({ t: z.literal('auth'), id: RequestId, token: z.string().min(1).max(256), protocol: z.number().int() });
export const CreateGroupFrame = z.object({ t: z.literal('createGroup'), id: RequestId, groupId: GroupId });
export const CommitFrame = z.object({
  t: z.literal('commit'),
  id: RequestId,
  groupId: GroupId,
  /** The epoch the commit was made in; the group moves to epoch + 1. */
  epoch: z.number().int().min(0),
  msgId: MessageId,
  /** Devices the commit adds (each receives the welcome) and removes. */
  add: z.array(DeviceId).max(1000),
  remove: z.array(DeviceId).max(1000),
  /** Body layout: the commit's bytes, then (if any device is added) the welcome's bytes. */
  commitBytes: z.number().int().min(1),
});
export const SendFrame = z.object({
  t: z.literal('send'),
  id: RequestId,
  groupId: GroupId,
  epoch: z.number().int().min(0),
  msgId: MessageId,
  /** Unix ms after which the server deletes the message (disappearing messages). */
  expiresAt: z.number().int().positive().optional(),
  /** Ephemeral messages (typing) are pushed to online devices only and never stored. */
  ephemeral: z.boolean().optional(),
});
export const AckFrame = z.object({ t: z.literal('ack'), id: RequestId.optional(), groupId: GroupId, seq: z.number().int().min(0) });
export const RedactFrame = z.object({ t: z.literal('redact'), id: RequestId, groupId: GroupId, msgId: MessageId });
export const GroupInfoFrame = z.object({ t: z.literal('groupInfo'), id: RequestId, groupId: GroupId });
export const PingFrame = z.object({ t: z.literal('ping'), id: RequestId });

export const ClientFrame = z.discriminatedUnion('t', [
  AuthFrame,
  CreateGroupFrame,
  CommitFrame,
  SendFrame,
  AckFrame,
  RedactFrame,
  GroupInfoFrame,
  PingFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['t'];
/** Which client frames carry a body. */
export const FRAMES_WITH_BODY: ReadonlySet<string> = new Set(['commit', 'send']);

/** Kinds of entries in a group's log. */
export const EventKind = z.enum([
  /** An MLS Welcome; delivered only to the devices it adds. */
  'welcome',
  /** An MLS commit (handshake); delivered to every member, the removed included. */
  'commit',
  /** An MLS application message (PrivateMessage). */
  'app',
  /** Written by the server: a member account added or revoked a device ([DEV-3]); no body. */
  'devices',
  /** Written by the server: the sender redacted (deleted for everyone) message `target`; no body. */
  'redact',
]);
export type EventKind = z.infer<typeof EventKind>;

export const OkFrame = z.object({ t: z.literal('ok'), id: RequestId }).catchall(z.unknown());
export const ErrFrame = z.object({
  t: z.literal('err'),
  id: RequestId.optional(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
  retryAfterMs: z.number().int().optional(),
  /** For EPOCH_CONFLICT: the group's current epoch. */
  epoch: z.number().int().optional(),
});
export const EventFrame = z.object({
  t: z.literal('ev'),
  groupId: GroupId,
  /** Position in the group's log, increasing by one per stored entry ([DEL-1]). Ephemeral events have seq 0. */
  seq: z.number().int().min(0),
  kind: EventKind,
  sender: z.object({ userId: UserId, deviceId: DeviceId }).nullable(),
  msgId: MessageId.optional(),
  epoch: z.number().int().min(0),
  ts: z.number().int(),
  expiresAt: z.number().int().optional(),
  /** For kind 'devices': whose device list changed. */
  userId: UserId.optional(),
  /** For kind 'redact': the redacted message id. */
  target: MessageId.optional(),
  ephemeral: z.boolean().optional(),
});
export type EventFrame = z.infer<typeof EventFrame>;
/** Sent once after auth, when every stored event after the device's cursors has been pushed ([DEL-4]). */
export const SyncedFrame = z.object({ t: z.literal('synced') });

export const ServerFrame = z.discriminatedUnion('t', [OkFrame, ErrFrame, EventFrame, SyncedFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Results carried by `ok` frames, per request type. */
export const AuthResult = z.object({ userId: UserId, deviceId: DeviceId, serverTime: z.number().int() });
export const CreateGroupResult = z.object({ epoch: z.literal(0) });
export const CommitResult = z.object({ seq: z.number().int(), epoch: z.number().int() });
export const SendResult = z.object({ seq: z.number().int(), duplicate: z.boolean() });
export const GroupInfoResult = z.object({
  epoch: z.number().int(),
  lastSeq: z.number().int(),
  members: z.array(z.object({ userId: UserId, deviceId: DeviceId })),
});
