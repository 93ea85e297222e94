/**
 * Every error a Charla server may answer with. The code is the stable identifier; the HTTP status is
 * what an HTTP method answers with; the description is the documented meaning ([ERR-*] in docs).
 * Code never compares error strings: it compares these constants.
 */
export const ErrorCodes = {
  BAD_REQUEST: { status: 400, description: 'The request or frame does not match its schema.' },
  UNKNOWN_FRAME_TYPE: { status: 400, description: 'A WebSocket frame has a type the server does not know.' },
  FRAME_TOO_LARGE: { status: 413, description: 'A WebSocket frame is larger than limits.maxFrameBytes.' },
  MESSAGE_TOO_LARGE: { status: 413, description: 'An MLS message is larger than limits.maxMessageBytes.' },
  BLOB_TOO_LARGE: { status: 413, description: 'An uploaded blob is larger than limits.maxBlobBytes.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests or frames; retry after retryAfterMs.' },
  UNSUPPORTED_VERSION: { status: 400, description: 'The client speaks a protocol version this server does not.' },
  UNAUTHENTICATED: { status: 401, description: 'No valid session token was presented.' },
  TOKEN_EXPIRED: { status: 401, description: 'The session token has expired; log in again.' },
  INVALID_CREDENTIALS: { status: 401, description: 'Unknown username or wrong password.' },
  FORBIDDEN: { status: 403, description: 'The authenticated device may not do this.' },
  DEVICE_REVOKED: { status: 403, description: 'This device was revoked; it can no longer act.' },
  REGISTRATION_CLOSED: { status: 403, description: 'Registration needs an invite token on this server.' },
  INVALID_INVITE_TOKEN: { status: 403, description: 'The invite token is unknown or already used.' },
  USERNAME_TAKEN: { status: 409, description: 'An account with this username already exists.' },
  UNKNOWN_USER: { status: 404, description: 'No account with this username.' },
  UNKNOWN_DEVICE: { status: 404, description: 'No such active device.' },
  UNKNOWN_BLOB: { status: 404, description: 'No such blob.' },
  NOT_FOUND: { status: 404, description: 'No such method or resource.' },
  UNKNOWN_GROUP: { status: 404, description: 'No such group.' },
  GROUP_EXISTS: { status: 409, description: 'A group with this id already exists.' },
  NOT_A_MEMBER: { status: 403, description: 'The device is not a member of the group.' },
  EPOCH_CONFLICT: {
    status: 409,
    description: 'The commit or message names an epoch other than the group\'s current one; catch up and retry.',
  },
  MESSAGE_ID_REUSED: { status: 409, description: 'The message id was used before in this group with a different body.' },
  INVALID_MEMBERSHIP: {
    status: 400,
    description: 'A commit adds a device that is already a member or not active, or removes one that is not a member.',
  },
  NO_KEY_PACKAGE: { status: 404, description: 'A device has no key package left to claim.' },
  INVALID_KEY_PACKAGE: { status: 400, description: 'A key package does not belong to the uploading device.' },
  UNKNOWN_LINK: { status: 404, description: 'No such device link, or it expired.' },
  LINK_USED: { status: 409, description: 'This device link was already used by another device.' },
  UNKNOWN_ROOM: { status: 404, description: 'No such room, or it expired.' },
  ROOM_KEY_MISMATCH: { status: 403, description: 'The access key does not match the room: the link is wrong or incomplete.' },
  ROOM_LOCKED: { status: 403, description: 'The host locked the room; no new guests may join.' },
  ROOM_FULL: { status: 403, description: 'The room (or its lobby) has as many participants as it may hold.' },
  NOT_IN_ROOM: { status: 400, description: 'A room frame other than join or ping came before the join succeeded.' },
  NOT_HOST: { status: 403, description: 'Only the room\'s host may do this.' },
  UNKNOWN_PARTICIPANT: { status: 404, description: 'No such participant (or lobby guest) in the room.' },
  NOT_AUTHENTICATED_YET: { status: 401, description: 'The first WebSocket frame must be auth.' },
  UNAVAILABLE: { status: 503, description: 'The server cannot reach its database or message bus right now; retry after retryAfterMs.' },
  INTERNAL: { status: 500, description: 'An unexpected server error. Its details are logged, never sent.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ErrorCodes;
export const ERROR_CODES = Object.keys(ErrorCodes) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** The body of every HTTP error answer, and the payload of an `err` WebSocket frame. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}
