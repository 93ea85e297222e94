import type { EventKind, KdfParams } from '@charla/protocol';
import type { AccountRecord, Argon2Params, DeviceLinkRecord, DeviceRecord, LogEntry, RoomRecord } from './types.ts';

/**
 * Rows to records, shared by the SQLite and PostgreSQL stores: both use the same column names,
 * and the drivers differ only in how a value arrives (SQLite may hand out bigint; PostgreSQL hands
 * `text[]` as an array where SQLite keeps JSON text), which the converters here absorb.
 */
export type Row = Record<string, unknown>;

export function str(v: unknown): string {
  if (typeof v !== 'string') throw new TypeError('expected a text column');
  return v;
}
export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError('expected an integer column');
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new TypeError('expected a binary column');
}
export function bytesOrNull(v: unknown): Uint8Array | null {
  return v === null || v === undefined ? null : bytes(v);
}
/** A list column: a PostgreSQL array, or JSON text in SQLite. */
export function stringListOrNull(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  return Array.isArray(v) ? (v as string[]) : (JSON.parse(str(v)) as string[]);
}

export function accountFromRow(r: Row): AccountRecord {
  return {
    username: str(r.username),
    authHash: bytes(r.auth_hash),
    authSalt: bytes(r.auth_salt),
    authParams: JSON.parse(str(r.auth_params)) as Argon2Params,
    kdf: JSON.parse(str(r.kdf)) as KdfParams,
    accountPublicKey: str(r.account_public_key),
    encryptedAccountKey: str(r.encrypted_account_key),
    createdAt: num(r.created_at),
  };
}

export function deviceFromRow(r: Row): DeviceRecord {
  return {
    deviceId: str(r.device_id),
    username: str(r.username),
    name: str(r.name),
    signatureKey: strOrNull(r.signature_key),
    credentialSignature: strOrNull(r.credential_signature),
    createdAt: num(r.created_at),
    activatedAt: numOrNull(r.activated_at),
    revokedAt: numOrNull(r.revoked_at),
    lastSeenAt: numOrNull(r.last_seen_at),
  };
}

export function entryFromRow(r: Row): LogEntry {
  const senderDevice = strOrNull(r.sender_device);
  return {
    groupId: str(r.group_id),
    seq: num(r.seq),
    kind: str(r.kind) as EventKind,
    sender: senderDevice === null ? null : { username: str(r.sender_username), deviceId: senderDevice },
    msgId: strOrNull(r.msg_id),
    epoch: num(r.epoch),
    ts: num(r.ts),
    expiresAt: numOrNull(r.expires_at),
    subjectUsername: strOrNull(r.subject_username),
    target: strOrNull(r.target),
    recipients: stringListOrNull(r.recipients),
    body: bytesOrNull(r.body),
  };
}

export function linkFromRow(r: Row): DeviceLinkRecord {
  return {
    linkId: str(r.link_id),
    username: str(r.username),
    creatorDevice: str(r.creator_device),
    joinerDevice: strOrNull(r.joiner_device),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
  };
}

export function roomFromRow(r: Row): RoomRecord {
  return {
    roomId: str(r.room_id),
    accessKeyHash: bytes(r.access_key_hash),
    hostTokenHash: bytes(r.host_token_hash),
    createdBy: str(r.created_by),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    // SQLite has no boolean: 0/1 (possibly bigint); PostgreSQL hands a boolean.
    lobby: r.lobby === true || num(r.lobby === false ? 0 : r.lobby) === 1,
  };
}
