import { ErrorCodes, type ErrorCode } from '@charla/protocol';

/**
 * Domain errors. Services throw these; the one boundary (toWireError) turns anything thrown into a
 * protocol error. The message is sent to the client, so it must never contain tokens, keys or
 * message bodies.
 */
export class CharlaError extends Error {
  override name = 'CharlaError';
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  /** For EPOCH_CONFLICT: the group's current epoch. */
  readonly epoch: number | undefined;

  constructor(code: ErrorCode, message: string, extra: { cause?: unknown; retryAfterMs?: number; epoch?: number } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.retryAfterMs = extra.retryAfterMs;
    this.epoch = extra.epoch;
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }
}

export class BadRequestError extends CharlaError {
  override name = 'BadRequestError';
  constructor(message: string, cause?: unknown) {
    super('BAD_REQUEST', message, { cause });
  }
}

export class UnauthenticatedError extends CharlaError {
  override name = 'UnauthenticatedError';
  constructor(message = 'no valid session token') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends CharlaError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class NotAMemberError extends CharlaError {
  override name = 'NotAMemberError';
  constructor() {
    super('NOT_A_MEMBER', 'this device is not a member of the group');
  }
}

export class UnknownGroupError extends CharlaError {
  override name = 'UnknownGroupError';
  constructor() {
    super('UNKNOWN_GROUP', 'no such group');
  }
}

export class EpochConflictError extends CharlaError {
  override name = 'EpochConflictError';
  constructor(currentEpoch: number) {
    super('EPOCH_CONFLICT', `the group is at epoch ${currentEpoch}`, { epoch: currentEpoch });
  }
}

export class RateLimitedError extends CharlaError {
  override name = 'RateLimitedError';
  constructor(retryAfterMs: number) {
    super('RATE_LIMITED', 'too many requests', { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) });
  }
}

export class InternalError extends CharlaError {
  override name = 'InternalError';
  constructor(cause?: unknown) {
    super('INTERNAL', 'internal server error', { cause });
  }
}

/** What goes on the wire: the HTTP error body, or the fields of an `err` frame. */
export interface WireErrorBody {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
  epoch?: number;
}

/** The single mapping from anything thrown to the wire. Unknown errors become INTERNAL with the message hidden. */
export function toWireError(error: unknown): { status: number; body: WireErrorBody } {
  if (error instanceof BackendUnavailableError) {
    // Retryable, unlike INTERNAL: another try (perhaps on another node) can succeed.
    return { status: 503, body: { code: 'UNAVAILABLE', message: 'the server cannot reach its storage right now', retryAfterMs: 1000 } };
  }
  if (!(error instanceof CharlaError)) {
    return { status: 500, body: { code: 'INTERNAL', message: 'internal server error' } };
  }
  const body: WireErrorBody = { code: error.code, message: error.message };
  if (error.retryAfterMs !== undefined) body.retryAfterMs = error.retryAfterMs;
  if (error.epoch !== undefined) body.epoch = error.epoch;
  return { status: error.status, body };
}

/**
 * A backend this node needs (the database, the bus) cannot be reached right now. Not a protocol
 * error: answering INTERNAL would make clients give a message up, so a WebSocket that hits it is
 * closed instead (1013, try again later) and the client resends on its next connection, perhaps to
 * another node. Over HTTP it answers 503 UNAVAILABLE with a retry delay.
 */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(what: string, cause?: unknown) {
    super(`${what} unavailable`, cause === undefined ? undefined : { cause });
  }
}
