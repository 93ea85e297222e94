import type { EventKind, KdfParams } from '@charla/protocol';

/** Records the store keeps. Users are stored by username; user ids are computed with the server name. */

export interface Argon2Params {
  readonly memoryKib: number;
  readonly passes: number;
  readonly parallelism: number;
}

export interface AccountRecord {
  readonly username: string;
  readonly authHash: Uint8Array;
  readonly authSalt: Uint8Array;
  readonly authParams: Argon2Params;
  readonly kdf: KdfParams;
  readonly accountPublicKey: string;
  readonly encryptedAccountKey: string;
  readonly createdAt: number;
}

export interface DeviceRecord {
  readonly deviceId: string;
  readonly username: string;
  readonly name: string;
  readonly signatureKey: string | null;
  readonly credentialSignature: string | null;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly revokedAt: number | null;
  readonly lastSeenAt: number | null;
}

export interface SessionRecord {
  readonly tokenHash: Uint8Array;
  readonly deviceId: string;
  readonly username: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface DeviceRef {
  readonly username: string;
  readonly deviceId: string;
}

/** One entry of a group's append-only log ([DEL-1]). */
export interface LogEntry {
  readonly groupId: string;
  /** Per-group sequence number, 1, 2, 3, … ; 0 for ephemeral events that are never stored. */
  readonly seq: number;
  readonly kind: EventKind;
  readonly sender: DeviceRef | null;
  readonly msgId: string | null;
  readonly epoch: number;
  readonly ts: number;
  readonly expiresAt: number | null;
  /** kind 'devices': whose device list changed. */
  readonly subjectUsername: string | null;
  /** kind 'redact': the redacted message id. */
  readonly target: string | null;
  /** kind 'welcome': the only devices it is delivered to. null: every member. */
  readonly recipients: readonly string[] | null;
  /** null for bodiless kinds and for redacted messages. */
  readonly body: Uint8Array | null;
}

/** A device's membership period in a group and its cursor over the group's log ([DEL-2]). */
export interface MembershipCursor {
  readonly groupId: string;
  readonly fromSeq: number;
  /** Last seq the device receives; null while it is a member. */
  readonly toSeq: number | null;
  readonly ackedSeq: number;
}

export type GroupMember = DeviceRef;

/** Result of store operations that validate inside their transaction (so checks and writes are atomic). */
export type GroupFailure =
  | { readonly error: 'UNKNOWN_GROUP' }
  | { readonly error: 'NOT_A_MEMBER' }
  | { readonly error: 'EPOCH_CONFLICT'; readonly epoch: number }
  | { readonly error: 'MESSAGE_ID_REUSED' }
  | { readonly error: 'INVALID_MEMBERSHIP'; readonly message: string };

export interface CommitInput {
  readonly groupId: string;
  readonly sender: DeviceRef;
  readonly epoch: number;
  readonly msgId: string;
  readonly commit: Uint8Array;
  readonly welcome: Uint8Array | null;
  readonly bodyHash: Uint8Array;
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly maxGroupDevices: number;
  readonly ts: number;
}
export type CommitOutcome =
  | GroupFailure
  | { readonly error?: undefined; readonly duplicate: true; readonly seq: number; readonly epoch: number }
  | {
      readonly error?: undefined;
      readonly duplicate: false;
      readonly commit: LogEntry;
      readonly welcome: LogEntry | null;
      /** Devices whose membership ended with this commit (they still receive it). */
      readonly removed: readonly string[];
    };

export interface MessageInput {
  readonly groupId: string;
  readonly sender: DeviceRef;
  readonly epoch: number;
  readonly msgId: string;
  /** [SEND-2] A retry with the same msgId is a duplicate only with the same body (store/body-hash.ts). */
  readonly body: Uint8Array;
  readonly expiresAt: number | null;
  readonly ts: number;
}
export type MessageOutcome =
  | GroupFailure
  | { readonly error?: undefined; readonly duplicate: true; readonly seq: number }
  | { readonly error?: undefined; readonly duplicate: false; readonly entry: LogEntry };

/** A device's cumulative ack of a group, as a node buffers it before writing ([DEL-2]). */
export interface AckInput {
  readonly groupId: string;
  readonly deviceId: string;
  readonly seq: number;
}

/** When a device last authenticated (buffered with the acks). */
export interface LastSeenInput {
  readonly deviceId: string;
  readonly ts: number;
}

export type RedactOutcome =
  | GroupFailure
  | { readonly error: 'NOT_FOUND' }
  | { readonly error: 'FORBIDDEN' }
  | { readonly error?: undefined; readonly duplicate: boolean; readonly seq: number; readonly entry: LogEntry | null };

export interface GroupInfo {
  readonly epoch: number;
  readonly lastSeq: number;
  readonly members: readonly GroupMember[];
}

export interface ClaimedKeyPackage {
  readonly deviceId: string;
  readonly keyPackage: string;
  readonly lastResort: boolean;
}

/** [LINK-*] A device link: the creator device vouches for one new device of its account. */
export interface DeviceLinkRecord {
  readonly linkId: string;
  readonly username: string;
  readonly creatorDevice: string;
  readonly joinerDevice: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * [ROOM-2] A room. The server keeps only hashes of the access key (derived from the link secret)
 * and of the host token; who is in the room lives in memory on the node serving it.
 */
export interface RoomRecord {
  readonly roomId: string;
  /** SHA-256 of the access key. */
  readonly accessKeyHash: Uint8Array;
  /** SHA-256 of the host token. */
  readonly hostTokenHash: Uint8Array;
  /** The device that created it. */
  readonly createdBy: string;
  readonly createdAt: number;
  /** Unix ms after which an unused room is forgotten; pushed forward while it is used. */
  readonly expiresAt: number;
  /** Guests knock and wait in the lobby by default. */
  readonly lobby: boolean;
}

export interface LinkMessage {
  readonly seq: number;
  readonly from: 'creator' | 'joiner';
  readonly payload: string;
}
