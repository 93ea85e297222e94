import type { ErrorCode } from '@charla/protocol';

/** Base of every error the SDK throws on purpose. `code` is stable; messages never contain secrets. */
export class SdkError extends Error {
  override name = 'SdkError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The server answered with a documented protocol error. */
export class ApiError extends SdkError {
  override name = 'ApiError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  /** For EPOCH_CONFLICT: the group's current epoch on the server. */
  readonly epoch: number | undefined;
  constructor(code: ErrorCode, message: string, status: number, extra: { retryAfterMs?: number; epoch?: number } = {}) {
    super(code, message);
    this.status = status;
    this.retryAfterMs = extra.retryAfterMs;
    this.epoch = extra.epoch;
  }
}

/** The connection dropped or could not be made. */
export class NetworkError extends SdkError {
  override name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETWORK', message, options);
  }
}

/** Something the user asked for does not exist locally (a chat, a message id). */
export class NotFoundError extends SdkError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export function isApiError(error: unknown, code?: ErrorCode): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}
