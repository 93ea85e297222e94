import { z } from 'zod';

/** [ID-1] Usernames: 3–32 characters, lowercase letters, digits, '.', '_' and '-', starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;
export const Username = z.string().regex(USERNAME_PATTERN, 'username: 3–32 of a-z 0-9 . _ -, starting with a letter or digit');

/** [ID-2] A user id is `@username:server`, where server is the host (and port) of the account's home server. */
export const USER_ID_PATTERN = /^@([a-z0-9][a-z0-9._-]{2,31}):([a-z0-9.-]+(?::[0-9]{1,5})?)$/;
export const UserId = z.string().regex(USER_ID_PATTERN, 'user id: @username:server');

/** [ID-3] Opaque ids chosen at random: 16 random bytes in base64url (22 characters). */
const OPAQUE_ID = /^[A-Za-z0-9_-]{22}$/;
export const DeviceId = z.string().regex(OPAQUE_ID, 'device id: 22 base64url characters');
export const GroupId = z.string().regex(OPAQUE_ID, 'group id: 22 base64url characters');
export const BlobId = z.string().regex(OPAQUE_ID, 'blob id: 22 base64url characters');

/** [ID-4] Message ids are chosen by the sending client, 8–64 base64url characters, unique within a group. */
export const MessageId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'message id: 8–64 base64url characters');

/** [WS-3] A request's id: a client-chosen integer from 0 to MAX_REQUEST_ID, echoed in `ok`/`err`. */
export const MAX_REQUEST_ID = 2 ** 31;
export const RequestId = z.number().int().min(0).max(MAX_REQUEST_ID);

/** The id of a frame that may not have passed its schema, to answer its error with ([WS-3]); undefined if none valid. */
export function requestIdOf(frame: unknown): number | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined;
  const id = (frame as { id?: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_REQUEST_ID ? id : undefined;
}

/** Bytes inside JSON: base64url without padding. */
export const Base64Url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url without padding');

export function userIdOf(username: string, serverName: string): string {
  return `@${username}:${serverName}`;
}

export function parseUserId(userId: string): { username: string; server: string } | undefined {
  const m = USER_ID_PATTERN.exec(userId);
  return m ? { username: m[1]!, server: m[2]! } : undefined;
}
